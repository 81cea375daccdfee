import { onPostgres } from "../support/on-postgres.js";

await onPostgres("siem-web.test.ts");
