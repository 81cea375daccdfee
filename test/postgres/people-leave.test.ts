import { onPostgres } from "../support/on-postgres.js";

await onPostgres("people-leave.test.ts");
