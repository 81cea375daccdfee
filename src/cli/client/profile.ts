import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CliError } from "../fail.js";
import { EXIT } from "./exit-codes.js";

/**
 * What `lockbox login` saves: the server and a personal API token for it. The token is a
 * credential, so the file is 0600 in a 0700 directory, and it is only ever sent to the server it
 * was issued by.
 */
export interface Profile {
  server: string;
  token: string;
  email: string;
  /** The token's id on the server, so `lockbox logout` can delete it there. */
  tokenId?: string;
  expiresAt?: string | null;
}

const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/i;

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), ".config");
  return path.join(base, "lockbox");
}

export function profilePath(name = "default", env: NodeJS.ProcessEnv = process.env): string {
  if (!PROFILE_NAME.test(name)) throw new CliError(`profile name ${JSON.stringify(name)}: use letters, digits, - and _ (at most 40)`, EXIT.usage);
  return path.join(configDir(env), `${name}.json`);
}

export function readProfile(file: string): Profile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.unreachable);
  }
  let profile: Partial<Profile>;
  try {
    profile = JSON.parse(text) as Partial<Profile>;
  } catch {
    throw new CliError(`${file} is not valid JSON; run \`lockbox login\` again`, EXIT.unreachable);
  }
  if (typeof profile.server !== "string" || typeof profile.token !== "string") {
    throw new CliError(`${file} holds no server and token; run \`lockbox login\` again`, EXIT.unreachable);
  }
  if (process.platform !== "win32" && (fs.statSync(file).mode & 0o077) !== 0) {
    process.stderr.write(`lockbox: warning: ${file} is readable by others; run chmod 600 ${file}\n`);
  }
  return profile as Profile;
}

/**
 * Writes the profile whole or not at all: a temporary file created 0600 (never briefly
 * world-readable) and renamed over the old one.
 */
export function saveProfile(file: string, profile: Profile): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    fs.chmodSync(temp, 0o600);
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new CliError(`cannot save ${file}: ${(err as Error).message}`, EXIT.refused);
  }
}

export function removeProfile(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw new CliError(`cannot remove ${file}: ${(err as Error).message}`, EXIT.refused);
  }
}
