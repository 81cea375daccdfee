import { onPostgres } from "../support/on-postgres.js";

await onPostgres("bad-input.test.ts");
