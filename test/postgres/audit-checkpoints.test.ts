import { onPostgres } from "../support/on-postgres.js";

await onPostgres("audit-checkpoints.test.ts");
