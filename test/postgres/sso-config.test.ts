import { onPostgres } from "../support/on-postgres.js";

await onPostgres("sso-config.test.ts");
