import { onPostgres } from "../support/on-postgres.js";

await onPostgres("messages.test.ts");
