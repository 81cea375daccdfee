import { onPostgres } from "../support/on-postgres.js";

await onPostgres("notify-webhooks.test.ts");
