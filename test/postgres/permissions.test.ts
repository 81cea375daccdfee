import { onPostgres } from "../support/on-postgres.js";

await onPostgres("permissions.test.ts");
