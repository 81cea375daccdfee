/**
 * Part of `npm run bench:audit`: signed decisions (SPEC 15) verified offline by the checker
 * `lockbox audit verify` runs (src/audit/verify-signed-decisions.ts), against raw signature
 * verification in node:crypto over the same bytes with the same keys — per algorithm, ES256
 * (ECDSA P-256, what platform authenticators use) and Ed25519. Target: ≥ 0.5× raw.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import { buildStatement, statementDigest } from "../src/approvals/decision-statement.js";
import type { AuditEvent } from "../src/audit/audit-event.js";
import { SignedDecisionVerifier } from "../src/audit/verify-signed-decisions.js";

const sha = (b: string | Buffer) => createHash("sha256").update(b).digest();
const rate = (n: number, ms: number) => Math.round((n * 1000) / ms).toLocaleString("en-US");

interface Signed {
  events: AuditEvent[];
  raw: { key: KeyObject; data: Buffer; signature: Buffer }[];
}

/** A chain of `n` signed final approvals by `approvers` people, each with one key of `kind`. */
function chainOf(kind: "ES256" | "Ed25519", n: number, approvers = 20): Signed {
  const at = new Date("2026-01-05T09:00:00.000Z");
  let seq = 0;
  const event = (operation: string, actorId: string, target: string, details: Record<string, unknown>): AuditEvent => ({
    chain: "tenant:bench",
    seq: ++seq,
    id: `e-${seq}`,
    at: at.toISOString(),
    operation,
    actor: { type: "user", id: actorId, name: actorId },
    target: { type: target === actorId ? "user" : "request", id: target },
    details,
    prevHash: "",
    hash: "",
  });
  const events: AuditEvent[] = [];
  const raw: Signed["raw"] = [];
  const keys = Array.from({ length: approvers }, (_, i) => {
    const pair = kind === "ES256" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("ed25519");
    const credentialId = `cred-${i}`;
    events.push(
      event("user.passkey_registered", `u-${i}`, `u-${i}`, {
        credentialId,
        publicKey: pair.publicKey.export({ format: "jwk" }),
        algorithm: kind === "ES256" ? -7 : -8,
      }),
    );
    return { ...pair, credentialId, userId: `u-${i}` };
  });
  const authenticatorData = Buffer.concat([sha("lockbox.example"), Buffer.from([0x05]), Buffer.from([0, 0, 0, 1])]);
  for (let i = 0; i < n; i++) {
    const key = keys[i % approvers]!;
    const requestId = `r-${i}`;
    const facts = { requestId, tenantId: "bench", requester: { id: "u-eng", email: "erin@provider.example" }, ticket: `CASE-${i}`, reason: "Mailbox search fails", services: ["mail"], accessLevel: "read" as const };
    events.push(event("request.created", "u-eng", requestId, { ticket: facts.ticket, reason: facts.reason, requesterEmail: facts.requester.email, services: ["mail"], accessLevel: "read", requestedMinutes: 60 }));
    const statement = buildStatement(facts, "approve", 60, { id: key.userId, email: `${key.userId}@customer.example` }, at);
    const clientDataJSON = Buffer.from(JSON.stringify({ type: "webauthn.get", challenge: statementDigest(statement), origin: "https://lockbox.example", crossOrigin: false }));
    const data = Buffer.concat([authenticatorData, sha(clientDataJSON)]);
    const signature = sign(kind === "ES256" ? "sha256" : null, data, key.privateKey);
    raw.push({ key: key.publicKey, data, signature });
    events.push(
      event("request.approved", key.userId, requestId, {
        status: "approved",
        final: true,
        grantedMinutes: 60,
        signed: {
          statement,
          assertion: { credentialId: key.credentialId, authenticatorData: authenticatorData.toString("base64url"), clientDataJSON: clientDataJSON.toString("base64url"), signature: signature.toString("base64url") },
        },
      }),
    );
  }
  return { events, raw };
}

export function signedDecisionRates(n = Number(process.env.BENCH_SIGNED_DECISIONS ?? 5000)): void {
  for (const kind of ["ES256", "Ed25519"] as const) {
    const { events, raw } = chainOf(kind, n);
    // Through JSON, as an export is read, so no object is shared with how it was built.
    const lines = events.map((e) => JSON.stringify(e));
    const hash = kind === "ES256" ? "sha256" : null;
    const rawRound = (from: number, to: number) => {
      for (let i = from; i < to; i++) if (!verify(hash, raw[i]!.data, raw[i]!.key, raw[i]!.signature)) throw new Error("raw verify failed");
    };
    // Both in interleaved rounds over the same chain, so a busy machine slows both alike.
    let rawMs = 0;
    let checkMs = 0;
    const rounds = 10;
    const checker = new SignedDecisionVerifier({ rpId: "lockbox.example" });
    let next = 0;
    for (let r = 0; r < rounds; r++) {
      const from = Math.floor((r * n) / rounds);
      const to = Math.floor(((r + 1) * n) / rounds);
      let t0 = performance.now();
      rawRound(from, to);
      rawMs += performance.now() - t0;
      // The checker's lines up to the end of this round's last decision (keys and requests included).
      const until = r === rounds - 1 ? lines.length : lines.length - 2 * (n - to);
      t0 = performance.now();
      for (; next < until; next++) {
        const fault = checker.push(JSON.parse(lines[next]!) as AuditEvent);
        if (fault) throw new Error(`seq ${fault.seq}: ${fault.reason}`);
      }
      checkMs += performance.now() - t0;
    }
    if (checker.count !== n) throw new Error("not every decision was checked");
    const label = kind === "ES256" ? "ECDSA P-256" : "Ed25519";
    console.log(`signed decisions verified offline, ${kind}: ${rate(n, checkMs)} decisions/s (parse, statement, facts, flags, signature); raw ${label} verify: ${rate(n, rawMs)}/s; ratio ${(rawMs / checkMs).toFixed(2)} (target ≥ 0.5)`);
  }
}
