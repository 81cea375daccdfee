import { onPostgres } from "../support/on-postgres.js";

await onPostgres("workflow-break-glass.test.ts");
