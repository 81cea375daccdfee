import { onPostgres } from "../support/on-postgres.js";

await onPostgres("tenants.test.ts");
