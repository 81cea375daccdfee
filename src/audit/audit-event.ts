import canonicalizeModule from "canonicalize";

// The package is CommonJS exporting the function itself; its typings describe an ES default
// export, which NodeNext resolution reads as a namespace. The runtime value is the function.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;
import { sha256Hex } from "../ids.js";

/** The first event of every chain points at this. */
export const GENESIS_HASH = "0".repeat(64);

export const providerChain = "provider";
export const tenantChain = (tenantId: string) => `tenant:${tenantId}`;

export interface AuditActor {
  type: "user" | "service" | "system";
  id: string;
  name: string;
  ip?: string;
}

export interface AuditTarget {
  type: string;
  id: string;
}

/** Details hold only strings, integers, booleans, null and nested such values: no floats. */
export type AuditDetails = Record<string, unknown>;

/** The export form of an event without its hash: exactly what is hashed. */
export interface UnsealedAuditEvent {
  chain: string;
  seq: number;
  id: string;
  at: string;
  operation: string;
  actor: AuditActor;
  target: AuditTarget;
  details: AuditDetails;
  prevHash: string;
}

export interface AuditEvent extends UnsealedAuditEvent {
  hash: string;
}

/** hash = sha256_hex(JCS(event without "hash")), JCS being RFC 8785 canonical JSON. */
export function hashEvent(event: UnsealedAuditEvent): string {
  const canonical = canonicalize(event);
  if (canonical === undefined) throw new Error("audit event cannot be canonicalized");
  return sha256Hex(canonical);
}

export function assertNoFloats(value: unknown, where = "details"): void {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new Error(`audit ${where} holds a non-integer number`);
  }
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) assertNoFloats(v, `${where}.${k}`);
  }
}
