import { onPostgres } from "../support/on-postgres.js";

await onPostgres("transparency-cli.test.ts");
