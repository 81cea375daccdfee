import { onPostgres } from "../support/on-postgres.js";

await onPostgres("edge-audit.test.ts");
