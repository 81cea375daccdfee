import { onPostgres } from "../support/on-postgres.js";

await onPostgres("edge-http.test.ts");
