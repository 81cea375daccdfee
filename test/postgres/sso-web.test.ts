import { onPostgres } from "../support/on-postgres.js";

await onPostgres("sso-web.test.ts");
