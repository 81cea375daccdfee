import { onPostgres } from "../support/on-postgres.js";

await onPostgres("web-admin-center.test.ts");
