import { onPostgres } from "../support/on-postgres.js";

await onPostgres("transparency-witness.test.ts");
