import { onPostgres } from "../support/on-postgres.js";

await onPostgres("web-request-pages.test.ts");
