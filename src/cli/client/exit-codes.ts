/**
 * Exit codes of the client commands, documented in docs/cli.md; scripts branch on them, so they
 * never change meaning. `audit verify` keeps its own (0 ok, 1 broken chain, 2 unreadable file).
 */
export const EXIT = {
  ok: 0,
  /** The server answered and refused: bad input, unknown id, wrong role, conflict, server error. */
  refused: 1,
  /** The command line itself is wrong: unknown flag, bad flag value, missing argument. */
  usage: 2,
  /** No answer from the server, or no usable credentials (none, invalid, expired). */
  unreachable: 3,
} as const;
