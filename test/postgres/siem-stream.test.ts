import { onPostgres } from "../support/on-postgres.js";

await onPostgres("siem-stream.test.ts");
