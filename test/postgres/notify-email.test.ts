import { onPostgres } from "../support/on-postgres.js";

await onPostgres("notify-email.test.ts");
