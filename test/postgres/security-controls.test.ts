import { onPostgres } from "../support/on-postgres.js";

await onPostgres("security-controls.test.ts");
