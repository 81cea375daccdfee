import { onPostgres } from "../support/on-postgres.js";

await onPostgres("web-routes.test.ts");
