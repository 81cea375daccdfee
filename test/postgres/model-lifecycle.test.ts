import { onPostgres } from "../support/on-postgres.js";

await onPostgres("model-lifecycle.test.ts");
