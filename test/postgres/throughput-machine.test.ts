import { onPostgres } from "../support/on-postgres.js";

await onPostgres("throughput-machine.test.ts");
