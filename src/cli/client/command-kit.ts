import { type Command, type CommanderError, InvalidArgumentError, Option } from "commander";
import { CliError } from "../fail.js";
import { type ConnectionOptions, connect } from "./connection.js";
import { EXIT } from "./exit-codes.js";

/** Options every client command takes. */
export interface CommonOptions extends ConnectionOptions {
  json?: boolean;
}

export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/**
 * Commander prints a usage error followed by the whole help page and exits 1. Client commands
 * instead raise one CliError (one line on stderr, exit 2, pointing at --help); main.ts prints it.
 * Help and --version still exit 0.
 */
function oneLineUsageErrors(cmd: Command): Command {
  return cmd
    .showHelpAfterError(false)
    .configureOutput({ outputError: () => {} })
    .exitOverride((err: CommanderError) => {
      if (err.exitCode === 0) return;
      // A group run without a subcommand has just printed its help on stderr.
      if (err.code === "commander.help") process.exit(EXIT.usage);
      const message = err.message.replace(/^error: /, "").replace(/\s*\n\s*/g, " ").trim();
      throw new CliError(`${message} (see ${commandPath(cmd)} --help)`, EXIT.usage);
    });
}

/** A command that only holds subcommands (`requests`, `tenants settings`). */
export function groupCommand(parent: Command, name: string, description: string): Command {
  return oneLineUsageErrors(parent.command(name).description(description));
}

/**
 * A client command: one-line usage errors, examples in its help, and (via addCommonOptions) the
 * common --server/--profile/--json options. Its action connects with `connect(opts)`; any
 * CliError it throws is printed by main.ts as one line with its exit code.
 */
export function clientCommand(
  parent: Command,
  nameAndArgs: string,
  description: string,
  examples: string[],
  { json = true }: { json?: boolean } = {},
): Command {
  const cmd = oneLineUsageErrors(parent.command(nameAndArgs).description(description)).hook("preAction", guardStdout);
  // Added once the command's own options are, so its help lists those first.
  pendingCommon.push({ cmd, json });
  cmd.addHelpText("after", `\nExample${examples.length > 1 ? "s" : ""}:\n${examples.map((e) => `  $ ${e}`).join("\n")}`);
  return cmd;
}

/**
 * `lockbox requests list --json | head -1` closes stdout under us; that is the reader's choice,
 * not an error, so exit quietly instead of dying with a stack trace. Installed per client command
 * so the server commands keep Node's default.
 */
function guardStdout(): void {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(EXIT.ok);
    process.stderr.write(`lockbox: cannot write to stdout: ${err.message}\n`);
    process.exit(EXIT.refused);
  });
}

const COMMON = "Common options:";

const pendingCommon: { cmd: Command; json: boolean }[] = [];

/** Gives every client command defined so far --server, --profile and (most) --json. */
export function addCommonOptions(): void {
  for (const { cmd, json } of pendingCommon.splice(0)) {
    cmd
      .addOption(new Option("--server <url>", "the Lockbox server (default: LOCKBOX_SERVER, else the saved profile's)").helpGroup(COMMON))
      .addOption(new Option("--profile <name>", 'the saved profile to use (default: LOCKBOX_PROFILE, else "default")').helpGroup(COMMON))
      .addOption(new Option("--otp <code>", "step-up: a code from your authenticator app (or a recovery code), sent if the server asks").argParser(boundedText(64)).helpGroup(COMMON));
    if (json) cmd.addOption(new Option("--json", "print the API's JSON answer as it is, for scripts").helpGroup(COMMON));
  }
}

// ---- flag value parsers: a bad value is a usage error naming the flag (commander adds it) ----

export function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    return n;
  };
}

export function boolean(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (["true", "yes", "on", "1"].includes(v)) return true;
  if (["false", "no", "off", "0"].includes(v)) return false;
  throw new InvalidArgumentError("expected true or false.");
}

/** `mail,files` → ["mail", "files"]; an empty string is the empty list. */
export function list(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Any date/time Date understands (`2026-01-05`, `2026-01-05T10:00+01:00`) → ISO UTC. */
export function isoTime(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError("expected a date or time like 2026-01-05 or 2026-01-05T09:00:00Z.");
  return new Date(ms).toISOString();
}

export function boundedText(max: number) {
  return (value: string): string => {
    if (value.trim() === "") throw new InvalidArgumentError("must not be empty.");
    if (value.length > max) throw new InvalidArgumentError(`at most ${max} characters.`);
    return value;
  };
}

export { connect };
