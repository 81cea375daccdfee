import { onPostgres } from "../support/on-postgres.js";

await onPostgres("sdk-verify.test.ts");
