import { onPostgres } from "../support/on-postgres.js";

await onPostgres("step-up-http.test.ts");
