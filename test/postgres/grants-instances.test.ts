import { onPostgres } from "../support/on-postgres.js";

await onPostgres("grants-instances.test.ts");
