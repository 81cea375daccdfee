import type { KeyObject } from "node:crypto";
import { CompactSign, type JWK } from "jose";
import type { Clock } from "../clock.js";
import type { Db } from "../db/schema.js";
import { loadMasterKey } from "./master-key.js";
import { ensureSigningKey, privateKeyOf } from "./signing-keys.js";

/** How long an instance trusts its copy of the key set; `lockbox keys rotate` reaches it within this. */
export const KEY_RELOAD_MS = 30_000;

export interface JwkSet {
  keys: JWK[];
}

interface Loaded {
  at: number;
  active: { kid: string; privateKey: KeyObject };
  rows: { kid: string; jwk: JWK; retiredAt: string | null; publishUntil: string | null }[];
}

/**
 * The server's view of the signing keys in the database. Every instance reads the same rows, so
 * they sign with the same key and publish the same JWKS; a rotation by the CLI is picked up on the
 * next reload. The decrypted private key lives only in this object's memory.
 */
export class Keyring {
  private masterKey: Buffer | undefined;
  private loaded: Loaded | undefined;
  private loading: Promise<Loaded> | undefined;

  constructor(
    private readonly db: Db,
    private readonly source: { secret?: string; dataDir: string },
    private readonly clock: Clock,
  ) {}

  /** Creates the first key on an empty database and loads the set; call once at start. */
  async init(): Promise<void> {
    this.masterKey = loadMasterKey(this.source);
    await ensureSigningKey(this.db, this.masterKey, this.clock.now());
    await this.reload();
  }

  /** Re-reads the key set now (after a rotation in this process, or when told another did one). */
  async reload(): Promise<void> {
    this.loaded = await this.load();
  }

  private async load(): Promise<Loaded> {
    if (!this.masterKey) throw new Error("keyring not initialised");
    const masterKey = this.masterKey;
    const rows = await this.db.selectFrom("signing_keys").selectAll().orderBy("created_at", "desc").orderBy("kid").execute();
    const newest = rows.find((r) => r.retired_at === null);
    if (!newest) throw new Error("no active signing key; run `lockbox keys rotate`");
    return {
      at: Date.now(),
      active: { kid: newest.kid, privateKey: privateKeyOf(masterKey, newest) },
      rows: rows.map((r) => ({ kid: r.kid, jwk: JSON.parse(r.public_jwk) as JWK, retiredAt: r.retired_at, publishUntil: r.publish_until })),
    };
  }

  /**
   * The loaded key set, never waiting for the database: a stale set is refreshed in the
   * background. Signing may happen inside a database transaction (grant tokens, audit
   * checkpoints), and on SQLite's single connection a query from here would wait for that very
   * transaction to end — a deadlock. So the key set is read only at init, on reload(), and in
   * the background.
   */
  private fresh(): Loaded {
    const loaded = this.loaded;
    if (!loaded) throw new Error("keyring not initialised");
    if (Date.now() - loaded.at >= KEY_RELOAD_MS && !this.loading) {
      this.loading = this.load().then(
        (l) => {
          this.loaded = l;
          this.loading = undefined;
          return l;
        },
        () => {
          // Keep signing with the keys we have; try again after another interval.
          loaded.at = Date.now();
          this.loading = undefined;
          return loaded;
        },
      );
    }
    return loaded;
  }

  /** The kid new signatures carry. */
  async activeKid(): Promise<string> {
    return this.fresh().active.kid;
  }

  /**
   * The JWKS: the active key and retired keys still within their publication window. With
   * `includeUnpublished`, every key ever used (for verifying old audit checkpoints).
   */
  async publicJwks(options: { includeUnpublished?: boolean } = {}): Promise<JwkSet> {
    const { rows } = this.fresh();
    const now = this.clock.now().toISOString();
    const published = (r: Loaded["rows"][number]) => !r.retiredAt || (r.publishUntil !== null && r.publishUntil > now);
    return { keys: rows.filter((r) => options.includeUnpublished || published(r)).map((r) => r.jwk) };
  }

  /** @internal used by signCompactJws */
  async signer(): Promise<{ kid: string; privateKey: KeyObject }> {
    return this.fresh().active;
  }
}

/**
 * Signs `payload` (a JSON object) as a compact JWS: `alg: EdDSA` (Ed25519), the active `kid` in
 * the header, and `typ` when given (grant tokens use "JWT"). Verifiable against `publicJwks()`.
 * This is the one signing function: grant tokens and audit checkpoints both use it.
 */
export async function signCompactJws(keyring: Keyring, payload: Record<string, unknown>, typ?: string): Promise<string> {
  const { kid, privateKey } = await keyring.signer();
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: "EdDSA", kid, ...(typ ? { typ } : {}) })
    .sign(privateKey);
}
