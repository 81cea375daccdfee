import { onPostgres } from "../support/on-postgres.js";

await onPostgres("ssrf-guard.test.ts");
