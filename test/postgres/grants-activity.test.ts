import { onPostgres } from "../support/on-postgres.js";

await onPostgres("grants-activity.test.ts");
