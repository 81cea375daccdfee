import { onPostgres } from "../support/on-postgres.js";

await onPostgres("signed-approvals-extensions.test.ts");
