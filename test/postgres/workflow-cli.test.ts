import { onPostgres } from "../support/on-postgres.js";

await onPostgres("workflow-cli.test.ts");
