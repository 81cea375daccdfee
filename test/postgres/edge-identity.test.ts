import { onPostgres } from "../support/on-postgres.js";

await onPostgres("edge-identity.test.ts");
