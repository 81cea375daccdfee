import { onPostgres } from "../support/on-postgres.js";

await onPostgres("throughput-feed.test.ts");
