import { onPostgres } from "../support/on-postgres.js";

await onPostgres("decision-race.test.ts");
