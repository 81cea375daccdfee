import { onPostgres } from "../support/on-postgres.js";

await onPostgres("grants-token.test.ts");
