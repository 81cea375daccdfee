import os from "node:os";
import type { Command } from "commander";
import { CliError } from "../fail.js";
import { ApiClient, seg } from "./api-client.js";
import { boundedText, clientCommand, type CommonOptions, wholeNumber } from "./command-kit.js";
import { normalizeServer, profileName } from "./connection.js";
import { EXIT } from "./exit-codes.js";
import { print, printJson } from "./output.js";
import { profilePath, readProfile, removeProfile, saveProfile } from "./profile.js";
import { promptHidden, promptLine, readStdin } from "./prompt.js";

interface LoginOptions extends CommonOptions {
  email?: string;
  passwordStdin?: boolean;
  tokenName?: string;
  expiresInDays?: number;
}

interface SignedIn {
  user: { id: string; email: string; name: string; roles: string[]; tenantId: string | null };
  csrfToken: string;
}

/** The password from LOCKBOX_PASSWORD, piped stdin (--password-stdin), or a prompt that does not echo. */
async function password(opts: LoginOptions): Promise<string> {
  if (process.env.LOCKBOX_PASSWORD) return process.env.LOCKBOX_PASSWORD;
  if (opts.passwordStdin) return (await readStdin()).replace(/\r?\n$/, "");
  if (process.stdin.isTTY) return promptHidden("Password: ");
  throw new CliError("no password: run on a terminal, set LOCKBOX_PASSWORD, or pipe it with --password-stdin", EXIT.usage);
}

/**
 * Signs in with email and password, mints a personal API token with that session (cookie plus
 * CSRF header), ends the session, and saves only the token. Neither the password nor the token
 * is ever printed.
 */
async function login(opts: LoginOptions): Promise<void> {
  const file = profilePath(profileName(opts));
  // A broken profile must not stop the login that replaces it.
  const previous = (() => {
    try {
      return readProfile(file);
    } catch {
      return undefined;
    }
  })();
  const rawServer = opts.server ?? (process.env.LOCKBOX_SERVER || previous?.server);
  if (!rawServer) throw new CliError("name the server: lockbox login --server URL --email E", EXIT.usage);
  const server = normalizeServer(rawServer);
  const email = opts.email ?? previous?.email ?? (process.stdin.isTTY ? await promptLine("Email: ") : undefined);
  if (!email) throw new CliError("name the account: lockbox login --server URL --email E", EXIT.usage);
  const secret = await password(opts);

  const anonymous = new ApiClient(server, null, false);
  const res = await anonymous.send("POST", "/v1/auth/login", { body: { email, password: secret } });
  const session = (await res.json()) as SignedIn;
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";", 1)[0]!)
    .find((c) => c.startsWith("lockbox_session="));
  if (!cookie) throw new CliError(`${server} signed you in but set no session cookie`, EXIT.refused);
  const signedIn = new ApiClient(server, { cookie, csrfToken: session.csrfToken }, false);
  const name = opts.tokenName ?? `lockbox CLI on ${os.hostname()}`.slice(0, 200);
  const minted = await signedIn.post<{ id: string; token: string; expiresAt: string | null }>("/v1/tokens", {
    name,
    ...(opts.expiresInDays ? { expiresInDays: opts.expiresInDays } : {}),
  });
  // The session has served its purpose; the token is what the CLI uses from now on.
  await signedIn.post("/v1/auth/logout").catch(() => undefined);

  saveProfile(file, { server, email: session.user.email, token: minted.token, tokenId: minted.id, expiresAt: minted.expiresAt });
  // A profile replaced by this login leaves its old token behind on the server: delete it.
  if (previous?.tokenId && normalizeServer(previous.server) === server && previous.tokenId !== minted.id) {
    await new ApiClient(server, { token: minted.token }).call("DELETE", `/v1/tokens/${seg(previous.tokenId)}`).catch(() => undefined);
  }

  if (opts.json) return printJson({ server, profile: file, user: session.user, tokenId: minted.id, expiresAt: minted.expiresAt });
  const u = session.user;
  print(`Signed in to ${server} as ${u.name} <${u.email}> (${u.roles.join(", ")}).`);
  print(`API token "${name}" saved to ${file}${minted.expiresAt ? `; it expires ${minted.expiresAt}` : ""}.`);
}

/** Deletes the saved token on the server (best effort) and removes the profile file. */
async function logout(opts: CommonOptions): Promise<void> {
  const file = profilePath(profileName(opts));
  const profile = readProfile(file);
  if (!profile) {
    if (opts.json) return printJson({ profile: file, removed: false });
    return print(`Not logged in (no ${file}).`);
  }
  let revoked = false;
  if (profile.tokenId) {
    const api = new ApiClient(normalizeServer(profile.server), { token: profile.token });
    revoked = await api.call("DELETE", `/v1/tokens/${seg(profile.tokenId)}`).then(
      () => true,
      () => false,
    );
  }
  removeProfile(file);
  if (opts.json) return printJson({ profile: file, removed: true, tokenDeleted: revoked });
  print(`Removed ${file}${revoked ? ` and deleted its token on ${profile.server}` : ""}.`);
  if (!revoked) process.stderr.write(`lockbox: warning: could not delete the token on ${profile.server}; remove it there\n`);
}

export function registerLoginCommands(program: Command): void {
  clientCommand(program, "login", "sign in and save a personal API token for the next commands", [
    "lockbox login --server https://lockbox.example.com --email erin@provider.example",
    "LOCKBOX_PASSWORD=… lockbox login --server http://localhost:8080 --email admin@lockbox.local --profile admin",
  ])
    .option("--email <email>", "your account's email (default: the saved profile's)", boundedText(254))
    .option("--password-stdin", "read the password from stdin instead of prompting")
    .option("--token-name <name>", "a name for the token, shown in your token list", boundedText(200))
    .option("--expires-in-days <n>", "let the token expire after this many days (1-365)", wholeNumber(1, 365))
    .action(login);

  clientCommand(program, "logout", "delete the saved token on the server and remove the profile", ["lockbox logout"]).action(logout);
}
