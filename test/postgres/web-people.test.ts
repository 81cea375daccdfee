import { onPostgres } from "../support/on-postgres.js";

await onPostgres("web-people.test.ts");
