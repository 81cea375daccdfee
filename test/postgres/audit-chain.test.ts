import { onPostgres } from "../support/on-postgres.js";

await onPostgres("audit-chain.test.ts");
