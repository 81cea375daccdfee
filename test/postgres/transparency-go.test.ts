import { onPostgres } from "../support/on-postgres.js";

await onPostgres("transparency-go.test.ts");
