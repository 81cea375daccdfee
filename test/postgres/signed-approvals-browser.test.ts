import { onPostgres } from "../support/on-postgres.js";

await onPostgres("signed-approvals-browser.test.ts");
