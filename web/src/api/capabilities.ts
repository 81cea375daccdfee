import { api } from "./client";

/**
 * Which optional API routes this server has, read once from its OpenAPI document. Pages ask
 * before calling a route another release may add (grant tokens, webhooks), so an older server
 * shows a plain note instead of a 404 and a console error.
 */
type Paths = Record<string, Record<string, unknown>>;

let paths: Promise<Paths> | null = null;

export async function hasRoute(method: string, path: string): Promise<boolean> {
  paths ??= api.get<{ paths?: Paths }>("/openapi.json").then(
    (doc) => doc.paths ?? {},
    () => ({}),
  );
  const known = await paths;
  return Boolean(known[path]?.[method.toLowerCase()]);
}
