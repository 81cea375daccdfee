import { onPostgres } from "../support/on-postgres.js";

await onPostgres("sso-signin.test.ts");
