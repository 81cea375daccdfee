import { onPostgres } from "../support/on-postgres.js";

await onPostgres("totp-http.test.ts");
