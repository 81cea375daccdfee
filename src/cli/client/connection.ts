import { CliError } from "../fail.js";
import { ApiClient, LOGIN_HINT } from "./api-client.js";
import { EXIT } from "./exit-codes.js";
import { profilePath, readProfile } from "./profile.js";

export interface ConnectionOptions {
  server?: string;
  profile?: string;
  /** --otp: the step-up code to retry with when the server asks for one. */
  otp?: string;
}

/** `https://host:8443/` → `https://host:8443`; anything but an http(s) URL is a usage error. */
export function normalizeServer(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`server ${JSON.stringify(raw)} is not a URL; write it like http://localhost:8080`, EXIT.usage);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`server ${raw}: only http:// and https:// addresses work`, EXIT.usage);
  }
  if (url.username || url.password) throw new CliError("server: put credentials in LOCKBOX_TOKEN, not in the URL", EXIT.usage);
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

export function profileName(options: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): string {
  return options.profile ?? (env.LOCKBOX_PROFILE || "default");
}

/**
 * The server comes from --server, LOCKBOX_SERVER or the profile; the token from LOCKBOX_TOKEN or
 * the profile. A saved token is only sent to the server that issued it: pointing --server
 * elsewhere without LOCKBOX_TOKEN is "no credentials", never a leak of the saved token.
 */
export function connect(options: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): ApiClient {
  const explicitServer = options.server ?? (env.LOCKBOX_SERVER || undefined);
  const envToken = env.LOCKBOX_TOKEN || undefined;
  const profile = explicitServer && envToken ? undefined : readProfile(profilePath(profileName(options, env), env));
  const rawServer = explicitServer ?? profile?.server;
  if (!rawServer) throw new CliError("no server: pass --server URL, set LOCKBOX_SERVER, or run `lockbox login --server URL --email E`", EXIT.unreachable);
  const server = normalizeServer(rawServer);
  const stepUp = { otp: options.otp, interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY) };
  if (envToken) return new ApiClient(server, { token: envToken.trim() }, true, stepUp);
  if (profile && normalizeServer(profile.server) === server) return new ApiClient(server, { token: profile.token }, true, stepUp);
  const elsewhere = profile ? ` (the saved profile is for ${profile.server})` : "";
  throw new CliError(`no credentials for ${server}${elsewhere}: ${LOGIN_HINT}`, EXIT.unreachable);
}
