import { onPostgres } from "../support/on-postgres.js";

await onPostgres("workflow-requests.test.ts");
