import { onPostgres } from "../support/on-postgres.js";

await onPostgres("workflow-policies.test.ts");
