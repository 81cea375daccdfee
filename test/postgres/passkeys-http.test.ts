import { onPostgres } from "../support/on-postgres.js";

await onPostgres("passkeys-http.test.ts");
