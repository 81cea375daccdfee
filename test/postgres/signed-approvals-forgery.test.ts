import { onPostgres } from "../support/on-postgres.js";

await onPostgres("signed-approvals-forgery.test.ts");
