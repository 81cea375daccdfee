import { onPostgres } from "../support/on-postgres.js";

await onPostgres("transparency-log.test.ts");
