import { onPostgres } from "../support/on-postgres.js";

await onPostgres("gateway-cli.test.ts");
