import { onPostgres } from "../support/on-postgres.js";

await onPostgres("siem-cli.test.ts");
