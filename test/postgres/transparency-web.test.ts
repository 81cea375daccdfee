import { onPostgres } from "../support/on-postgres.js";

await onPostgres("transparency-web.test.ts");
