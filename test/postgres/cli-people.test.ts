import { onPostgres } from "../support/on-postgres.js";

await onPostgres("cli-people.test.ts");
