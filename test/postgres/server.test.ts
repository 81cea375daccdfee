import { onPostgres } from "../support/on-postgres.js";

await onPostgres("server.test.ts");
