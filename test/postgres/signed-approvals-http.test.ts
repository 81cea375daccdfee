import { onPostgres } from "../support/on-postgres.js";

await onPostgres("signed-approvals-http.test.ts");
