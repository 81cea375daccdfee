import { onPostgres } from "../support/on-postgres.js";

await onPostgres("decision-comments.test.ts");
