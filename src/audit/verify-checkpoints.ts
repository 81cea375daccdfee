import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from "jose";
import type { ChainFault } from "./verify-chain.js";

export interface CheckpointItem {
  chain: string;
  seq: number;
  hash: string;
  at: string;
  jws: string;
}

/**
 * Checks that every checkpoint is signed by a key of `jwks` (EdDSA) and that its signed payload
 * is exactly the `{chain, seq, hash, at}` it is listed with. Returns the first fault, naming the
 * checkpoint's seq; the caller then holds the chain's events against the verified hashes.
 */
export async function verifyCheckpointSignatures(
  items: CheckpointItem[],
  jwks: JSONWebKeySet,
  chain: string | undefined,
): Promise<ChainFault | undefined> {
  const keys = createLocalJWKSet(jwks);
  for (const item of items) {
    const fault = (reason: string): ChainFault => ({ seq: item.seq, line: 0, reason });
    if (chain !== undefined && item.chain !== chain) return fault(`checkpoint is for chain ${item.chain}, not ${chain}`);
    let payload: Record<string, unknown>;
    try {
      const verified = await compactVerify(item.jws, keys, { algorithms: ["EdDSA"] });
      payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
    } catch {
      return fault("checkpoint signature does not verify against the given keys");
    }
    const signed = { chain: payload.chain, seq: payload.seq, hash: payload.hash, at: payload.at };
    if (JSON.stringify(signed) !== JSON.stringify({ chain: item.chain, seq: item.seq, hash: item.hash, at: item.at })) {
      return fault("checkpoint listing differs from what was signed");
    }
  }
  return undefined;
}
