/**
 * Ticket patterns are globs, not regular expressions: `*` any run of characters, `?` exactly one,
 * everything else itself. A customer types them, so they must never be able to hang the server
 * (catastrophic backtracking) — this matcher remembers only the last `*` and never backtracks
 * further, which bounds it at O(pattern × text) steps for any input; both are short (≤ 64).
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1; // index in pattern of the last '*' seen
  let resume = 0; // where in text that '*' will resume matching
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === "?" || (pattern[p] !== "*" && pattern[p] === text[t]))) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      resume = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}
