import { cose, decodeCredentialPublicKey } from "@simplewebauthn/server/helpers";

export interface PublicJwk {
  kty: string;
  alg: string;
  [k: string]: string;
}

const curves: Record<number, string> = { 1: "P-256", 2: "P-384", 3: "P-521" };
const algNames: Record<number, string> = { [-7]: "ES256", [-35]: "ES384", [-36]: "ES512", [-8]: "EdDSA", [-257]: "RS256" };

const b64 = (v: unknown): string => Buffer.from(v as Uint8Array).toString("base64url");

/**
 * The authenticator hands over its public key as a COSE key; the audit records it as a JWK
 * (RFC 7517), which any verifier can read without a CBOR decoder. Throws on a key type that
 * SUPPORTED_ALGORITHMS excludes, so a key that cannot be audited is never stored.
 */
export function coseToJwk(publicKey: Uint8Array): { jwk: PublicJwk; algorithm: number } {
  // The library types each COSE label separately; read the map generically.
  const key = decodeCredentialPublicKey(publicKey as Uint8Array<ArrayBuffer>) as unknown as Map<number, unknown>;
  const kty = key.get(cose.COSEKEYS.kty);
  const algorithm = Number(key.get(cose.COSEKEYS.alg));
  const alg = algNames[algorithm];
  if (!alg) throw new Error(`unsupported COSE algorithm ${algorithm}`);
  if (kty === cose.COSEKTY.EC2) {
    const crv = curves[Number(key.get(cose.COSEKEYS.crv))];
    if (!crv) throw new Error("unsupported EC curve");
    return { jwk: { kty: "EC", alg, crv, x: b64(key.get(cose.COSEKEYS.x)), y: b64(key.get(cose.COSEKEYS.y)) }, algorithm };
  }
  if (kty === cose.COSEKTY.OKP) {
    if (Number(key.get(cose.COSEKEYS.crv)) !== cose.COSECRV.ED25519) throw new Error("unsupported OKP curve");
    return { jwk: { kty: "OKP", alg, crv: "Ed25519", x: b64(key.get(cose.COSEKEYS.x)) }, algorithm };
  }
  if (kty === cose.COSEKTY.RSA) {
    return { jwk: { kty: "RSA", alg, n: b64(key.get(cose.COSEKEYS.n)), e: b64(key.get(cose.COSEKEYS.e)) }, algorithm };
  }
  throw new Error(`unsupported COSE key type ${String(kty)}`);
}
