import { onPostgres } from "../support/on-postgres.js";

await onPostgres("passkeys-browser.test.ts");
