import { onPostgres } from "../support/on-postgres.js";

await onPostgres("siem-syslog.test.ts");
