import { invalidField } from "./errors.js";

/** Lists page by an opaque cursor holding the sort key of the last item returned. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(key: (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

export function decodeCursor(cursor: string): (string | number)[] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(key) && key.every((k) => typeof k === "string" || typeof k === "number")) return key;
  } catch {
    // fall through to the one error below
  }
  throw invalidField("cursor", "is not a cursor this server issued");
}

/** Fetch limit + 1 rows; the extra row only tells whether there is a next page. */
export function toPage<R, T>(rows: R[], limit: number, map: (row: R) => T, keyOf: (row: R) => (string | number)[]): Page<T> {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page.at(-1);
  return { items: page.map(map), nextCursor: more && last ? encodeCursor(keyOf(last)) : null };
}
