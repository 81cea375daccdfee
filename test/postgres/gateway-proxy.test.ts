import { onPostgres } from "../support/on-postgres.js";

await onPostgres("gateway-proxy.test.ts");
