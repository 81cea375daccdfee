import { onPostgres } from "../support/on-postgres.js";

await onPostgres("grants-check.test.ts");
