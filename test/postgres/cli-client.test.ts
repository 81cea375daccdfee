import { onPostgres } from "../support/on-postgres.js";

await onPostgres("cli-client.test.ts");
