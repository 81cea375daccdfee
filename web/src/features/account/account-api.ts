import { startAuthentication, startRegistration } from "@simplewebauthn/browser";
import { api } from "../../api/client";
import type { Session } from "../../api/types";

/** The caller's own factors and sessions (SPEC 14); every call acts on the signed-in user only. */

export interface Passkey {
  id: string;
  name: string;
  credentialId: string;
  createdAt: string;
  lastUsedAt: string | null;
}
export interface TotpStatus {
  enrolled: boolean;
  pending: boolean;
  recoveryCodesLeft: number;
}
export interface MySession {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string | null;
  expiresAt: string;
}
type List<T> = { items: T[] };
type Options<T> = { options: T };

export const loadPasskeys = async () => (await api.get<List<Passkey>>("/v1/me/passkeys")).items;
export const loadTotp = () => api.get<TotpStatus>("/v1/me/totp");
export const loadSessions = async () => (await api.get<List<MySession>>("/v1/me/sessions")).items;

/** The whole registration ceremony: server options, the browser's authenticator, the server's check. */
export async function addPasskey(name: string): Promise<Passkey> {
  const { options } = await api.post<Options<Parameters<typeof startRegistration>[0]["optionsJSON"]>>("/v1/me/passkeys/options");
  const response = await startRegistration({ optionsJSON: options });
  return api.post<Passkey>("/v1/me/passkeys", { response, ...(name.trim() ? { name: name.trim() } : {}) });
}

/** Sign-in without a password: the authenticator picks the account (a discoverable credential). */
export async function signInWithPasskey(): Promise<Session> {
  const { options } = await api.post<Options<Parameters<typeof startAuthentication>[0]["optionsJSON"]>>("/v1/auth/passkey/options");
  const response = await startAuthentication({ optionsJSON: options });
  return api.post<Session>("/v1/auth/passkey", { response });
}

export const removePasskey = (id: string) => api.delete(`/v1/me/passkeys/${encodeURIComponent(id)}`);
export const startTotp = () => api.post<{ secret: string; otpauthUrl: string }>("/v1/me/totp");
export const confirmTotp = (code: string) => api.post<{ recoveryCodes: string[] }>("/v1/me/totp/confirm", { code });
export const removeTotp = (code: string) => api.delete("/v1/me/totp", { code });
export const endOtherSessions = () => api.delete<{ sessionsEnded: number }>("/v1/me/sessions/others");

/**
 * Step-up with a passkey (SPEC 14): an assertion over the server's fresh challenge for one of the
 * caller's own passkeys; the server then holds the verification for this session for 5 minutes.
 */
export async function verifyWithPasskey(): Promise<void> {
  const { options } = await api.post<Options<Parameters<typeof startAuthentication>[0]["optionsJSON"]>>("/v1/auth/verify/options");
  const response = await startAuthentication({ optionsJSON: options });
  await api.post("/v1/auth/verify", { response });
}
