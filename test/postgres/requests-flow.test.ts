import { onPostgres } from "../support/on-postgres.js";

await onPostgres("requests-flow.test.ts");
