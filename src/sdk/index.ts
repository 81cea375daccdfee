/**
 * Lockbox SDK: verify grant tokens offline, learn of early ends, report what engineers do.
 *
 * ```ts
 * import { createVerifier } from "lockbox/sdk";
 * const verifier = createVerifier({
 *   jwksUrl: "https://lockbox.example.com/.well-known/jwks.json",
 *   server: "https://lockbox.example.com",
 *   token: process.env.LOCKBOX_TOKEN, // a service credential, lbs_…
 * });
 * const grant = await verifier.verify(tokenFromRequest, { tenant, service: "mail", access: "read" });
 * verifier.reportActivity({ requestId: grant.requestId, operation: "mailbox.read_item", target: "mailbox/42" });
 * ```
 *
 * Depends only on `jose`: safe to embed in any Node 20+ service.
 */
import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";
import { ActivityReporter, type ActivityReport, type ActivityStats } from "./activity-reporter.js";
import { GrantError } from "./errors.js";
import { RevocationWatcher } from "./revocation-watcher.js";
import { type Evidence, grantMatchesApprovals, type ProvenApprovals, proveApprovals } from "./signed-approvals.js";

export { GrantError, type GrantErrorCode } from "./errors.js";
export { ActivityBufferFull, type ActivityReport, type ActivityStats } from "./activity-reporter.js";

export type AccessLevel = "read" | "write";

export interface VerifierOptions {
  /** Where the public keys are, normally `<server>/.well-known/jwks.json`; fetched and cached. */
  jwksUrl?: string | URL;
  /** A fixed key set instead of jwksUrl (fully offline; no rotation without a restart). */
  jwks?: JSONWebKeySet;
  /** The Lockbox server: enables revocation polling and activity reporting (needs `token`). */
  server?: string | URL;
  /** A service credential (`lbs_…`) for the revocations feed and activity. */
  token?: string;
  /**
   * Expected `iss` (the server's LOCKBOX_PUBLIC_URL); defaults to `server` when given. `false`
   * skips the check (e.g. when `server` is an internal address): the JWKS already vouches for it.
   */
  issuer?: string | false;
  /** How often to poll the revocations feed without long polling, and the retry delay after an error. Default 2000 ms. */
  revocationPollMs?: number;
  /**
   * Long-poll the revocations feed, waiting up to this many seconds a read (the server answers
   * as soon as there is an end), so ends are learnt within about a second. Default 20; 0 polls.
   */
  revocationWaitSeconds?: number;
  /**
   * Refuse every token (code `revocations_unavailable`) when the feed has not been read for this
   * long, rather than honour a grant that may have been revoked. Default 30 000 ms.
   */
  maxRevocationStalenessMs?: number;
  /** Batching of reportActivity: flush at this many events (max 1000) or after flushMs. */
  activityBatchSize?: number;
  activityFlushMs?: number;
  /**
   * At most this many unrecorded events are held; nothing held is ever dropped: beyond this,
   * reportActivity throws ActivityBufferFull. Default 10 000.
   */
  activityMaxQueue?: number;
  /** Longest wait between retries of a failed activity post. Default 30 000 ms. */
  activityMaxRetryMs?: number;
  /**
   * The WebAuthn RP id the customer's passkeys sign for (the server's public host), checked in
   * signed approvals; default: the host of the origin each assertion reports.
   */
  rpId?: string;
  /** The current time, for tests. */
  now?: () => Date;
  fetch?: typeof fetch;
  /** Background failures (polling, posting activity). Default: ignored. */
  onError?: (err: Error) => void;
}

export interface GrantRequirement {
  tenant: string;
  service: string;
  /** `write` needs a write grant; `read` is satisfied by read or write. */
  access: AccessLevel;
  /**
   * Refuse the grant unless the customer's approvers signed it with their passkeys (SPEC 15): the
   * request's evidence is fetched from `server` once per request id and every signature checked,
   * and the token's `apv` must name exactly the signed statements. Needs server and token.
   */
  requireSignedApprovals?: boolean;
}

/** A verified grant: who may do what, where, until when, and under which request and ticket. */
export interface VerifiedGrant {
  requestId: string;
  userId: string;
  tenant: string;
  services: string[];
  access: AccessLevel;
  ticket: string;
  expiresAt: Date;
  claims: JWTPayload;
}

export interface Verifier {
  /** Verifies signature, time, tenant, service, access level and revocation; throws GrantError. */
  verify(token: string, requirement: GrantRequirement): Promise<VerifiedGrant>;
  /**
   * Queues one activity event (batched; needs server and token). Throws ActivityBufferFull when
   * `activityMaxQueue` events are still unrecorded: do not serve what you cannot record.
   */
  reportActivity(event: ActivityReport): void;
  /** What the activity reporter holds and has delivered (all zero without server and token). */
  activityStats(): ActivityStats;
  /** Posts queued activity now. */
  flush(): Promise<void>;
  /** Resolves after the first revocations sync (verify waits for it by itself). */
  ready(): Promise<void>;
  /** Stops polling and flushes activity. */
  close(): Promise<void>;
}

const AUDIENCE = "lockbox";

export function createVerifier(options: VerifierOptions): Verifier {
  if (!options.jwks && !options.jwksUrl) throw new TypeError("createVerifier needs jwksUrl or jwks");
  if (options.server && !options.token) throw new TypeError("createVerifier: server needs token (a service credential)");
  const keys = options.jwks
    ? createLocalJWKSet(options.jwks)
    : createRemoteJWKSet(new URL(options.jwksUrl!), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000 });
  const server = options.server ? String(options.server).replace(/\/$/, "") : undefined;
  const issuer = options.issuer === false ? undefined : (options.issuer ?? server);
  const now = options.now ?? (() => new Date());
  const onError = options.onError ?? (() => undefined);
  const fetchFn = options.fetch ?? globalThis.fetch;

  const watcher =
    server && options.token
      ? new RevocationWatcher({
          server,
          token: options.token,
          pollMs: options.revocationPollMs ?? 2000,
          waitSeconds: options.revocationWaitSeconds ?? 20,
          maxStalenessMs: options.maxRevocationStalenessMs ?? 30_000,
          fetch: fetchFn,
          onError,
        })
      : undefined;
  const reporter =
    server && options.token
      ? new ActivityReporter({
          server,
          token: options.token,
          batchSize: Math.min(Math.max(options.activityBatchSize ?? 100, 1), 1000),
          flushMs: options.activityFlushMs ?? 1000,
          maxQueue: Math.max(options.activityMaxQueue ?? 10_000, 1),
          maxRetryMs: options.activityMaxRetryMs ?? 30_000,
          fetch: fetchFn,
          onError,
          now,
        })
      : undefined;
  let started: Promise<void> | undefined;
  /** Proven signed approvals per request id: evidence is fetched and checked once per request. */
  const proofs = new Map<string, Promise<ProvenApprovals>>();
  // Keyed by the token's apv too: a token issued after a signed extension names one more
  // statement, and its evidence is fetched anew (SPEC 17).
  const provenApprovals = (rid: string, tenant: string, apv: unknown): Promise<ProvenApprovals> => {
    const key = Array.isArray(apv) ? `${rid} ${[...(apv as unknown[])].map(String).sort().join(",")}` : rid;
    let proof = proofs.get(key);
    if (!proof) {
      if (proofs.size >= 10_000) proofs.delete(proofs.keys().next().value!);
      proof = fetchProof(fetchFn, server!, options.token!, rid, tenant, options.rpId);
      proofs.set(key, proof);
      // A server that could not answer is asked again next time; a disproof stays.
      proof.catch((err: unknown) => {
        if (err instanceof GrantError && err.code === "approvals_unavailable") proofs.delete(key);
      });
    }
    return proof;
  };
  const ready = () => (started ??= watcher ? watcher.start().catch(onError) : Promise.resolve());

  async function verify(token: string, need: GrantRequirement): Promise<VerifiedGrant> {
    if (watcher) await ready();
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, keys, {
        algorithms: ["EdDSA"],
        audience: AUDIENCE,
        ...(issuer ? { issuer } : {}),
        currentDate: now(),
        requiredClaims: ["exp", "nbf", "sub", "rid"],
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new GrantError("expired", "the grant has ended");
      if (err instanceof errors.JWTClaimValidationFailed && err.claim === "nbf") {
        throw new GrantError("not_yet_valid", "the grant has not started");
      }
      throw new GrantError("invalid_token", "not a valid Lockbox grant token");
    }
    const { sub, tenant, services, access, rid, ticket, exp } = claims as Record<string, unknown>;
    if (
      typeof sub !== "string" ||
      typeof tenant !== "string" ||
      typeof rid !== "string" ||
      typeof ticket !== "string" ||
      typeof exp !== "number" ||
      !Array.isArray(services) ||
      !services.every((s) => typeof s === "string") ||
      (access !== "read" && access !== "write")
    ) {
      throw new GrantError("invalid_token", "the grant token lacks Lockbox claims");
    }
    if (tenant !== need.tenant) throw new GrantError("wrong_tenant", "the grant is for another tenant", rid);
    if (!services.includes(need.service)) throw new GrantError("wrong_service", "the grant does not cover this service", rid);
    if (need.access === "write" && access !== "write") throw new GrantError("insufficient_access", "the grant is read-only", rid);
    if (watcher) {
      if (watcher.isRevoked(rid)) throw new GrantError("revoked", "the grant was revoked or ended early", rid);
      watcher.assertFresh();
    }
    if (need.requireSignedApprovals) {
      if (!server || !options.token) throw new TypeError("requireSignedApprovals needs server and token in createVerifier");
      const problem = grantMatchesApprovals({ sub, services: services as string[], access, nbf: claims.nbf, exp, apv: claims.apv }, await provenApprovals(rid, tenant, claims.apv));
      if (problem) throw new GrantError("unsigned_approval", problem, rid);
    }
    return { requestId: rid, userId: sub, tenant, services: services as string[], access, ticket, expiresAt: new Date(exp * 1000), claims };
  }

  return {
    verify,
    ready,
    reportActivity(event) {
      if (!reporter) throw new TypeError("reportActivity needs server and token in createVerifier");
      reporter.report(event);
    },
    activityStats() {
      return reporter?.stats() ?? { pending: 0, capacity: 0, oldestPendingMs: 0, consecutiveFailures: 0, delivered: 0, denied: 0, invalid: 0 };
    },
    async flush() {
      await reporter?.flush();
    },
    async close() {
      watcher?.stop();
      reporter?.stop();
      await reporter?.flush();
    },
  };
}

async function fetchProof(fetchFn: typeof fetch, server: string, token: string, rid: string, tenant: string, rpId: string | undefined): Promise<ProvenApprovals> {
  let evidence: Evidence;
  try {
    const res = await fetchFn(`${server}/v1/requests/${encodeURIComponent(rid)}/evidence`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    evidence = (await res.json()) as Evidence;
  } catch (err) {
    throw new GrantError("approvals_unavailable", `the approvals' evidence could not be fetched: ${(err as Error).message}`, rid);
  }
  try {
    return proveApprovals(evidence, rid, tenant, rpId);
  } catch (err) {
    throw new GrantError("unsigned_approval", `the customer's signed approvals do not verify: ${(err as Error).message}`, rid);
  }
}
