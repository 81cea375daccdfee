import { visit } from "jsonc-parser";

/**
 * The first key that appears twice in one JSON object, at any depth, or undefined. `text` must be
 * JSON that JSON.parse accepted, and `parsed` what it returned.
 *
 * Why: JSON.parse keeps the last of two equal keys and says nothing, so a line such as
 * `{"operation":"request.denied", …, "operation":"request.approved"}` hashes and verifies as the
 * approval while a reader that keeps the first key (many do) shows a denial. An audit line with a
 * duplicate key is therefore refused outright (SPEC 13).
 *
 * Why this way: a reviver cannot see duplicates (JSON.parse has already dropped them), and a
 * hand-written JSON scanner is exactly the kind of code that gets escapes wrong. The exact answer
 * comes from jsonc-parser (the VS Code JSON scanner: maintained, no dependencies), which reports
 * every property as it scans, with its name already unescaped, so `"oper\u0061tion"` and
 * `"operation"` compare equal. It is lenient (comments, trailing commas), which is why it only
 * ever sees text JSON.parse has accepted; it is used to see keys, never to read values.
 *
 * That scan costs about as much as the rest of verifying a line, so a counting test goes first
 * and settles the common case. In valid JSON a `"` followed (after optional whitespace) by `:` is
 * either the closing quote of a key or an escaped `\"` inside a string that happens to precede a
 * colon; a string value's closing quote is never followed by `:`. So that count is at least the
 * number of keys written, and the parsed value holds written keys minus duplicates. When the two
 * numbers are equal, no key was dropped; only when they differ does the exact scan run.
 */
export function findDuplicateKey(text: string, parsed: unknown): { key: string; path: string } | undefined {
  const quoteColons = text.match(/"[ \t\n\r]*:/g)?.length ?? 0;
  if (quoteColons === countKeys(parsed)) return undefined;
  return scanForDuplicate(text);
}

function countKeys(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const item of value) n += countKeys(item);
    return n;
  }
  for (const key of Object.keys(value)) n += 1 + countKeys((value as Record<string, unknown>)[key]);
  return n;
}

function scanForDuplicate(text: string): { key: string; path: string } | undefined {
  // One entry per open container: the keys seen so far in an object, null in an array.
  const open: (Set<string> | null)[] = [];
  let found: { key: string; path: string } | undefined;
  visit(text, {
    onObjectBegin: () => {
      open.push(new Set());
    },
    onObjectEnd: () => {
      open.pop();
    },
    onArrayBegin: () => {
      open.push(null);
    },
    onArrayEnd: () => {
      open.pop();
    },
    onObjectProperty: (key, _offset, _length, _line, _column, pathSupplier) => {
      const keys = open[open.length - 1];
      if (found || !keys) return;
      if (keys.has(key)) {
        found = { key, path: [...pathSupplier(), key].join(".") };
        return;
      }
      keys.add(key);
    },
  });
  return found;
}
