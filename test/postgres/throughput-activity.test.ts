import { onPostgres } from "../support/on-postgres.js";

await onPostgres("throughput-activity.test.ts");
