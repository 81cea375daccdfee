import { onPostgres } from "../support/on-postgres.js";

await onPostgres("identity.test.ts");
