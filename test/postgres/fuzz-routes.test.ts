import { onPostgres } from "../support/on-postgres.js";

await onPostgres("fuzz-routes.test.ts");
