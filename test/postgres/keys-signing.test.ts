import { onPostgres } from "../support/on-postgres.js";

await onPostgres("keys-signing.test.ts");
