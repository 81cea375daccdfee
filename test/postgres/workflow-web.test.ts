import { onPostgres } from "../support/on-postgres.js";

await onPostgres("workflow-web.test.ts");
