import * as oidc from "openid-client";
import { recordOrgActivity } from "../../audit/record-org-activity.js";
import type { Deps } from "../../deps.js";
import { safeEqual, sha256Hex } from "../../ids.js";
import { openWebhookSecret, webhookSecretKey } from "../../notify/webhook-secrets.js";
import type { User } from "../roles.js";
import { createSession } from "../sessions.js";
import type { OidcClients } from "./oidc-client.js";
import { findOrProvisionSsoUser } from "./provision-sso-user.js";
import { emailDomainOf, findSsoConfigRow, ssoSecretAad, toSsoConfig } from "./sso-config.js";
import { SsoRefusal } from "./sso-refusal.js";
import { ssoCallbackUrl } from "./start-sso-sign-in.js";

/**
 * Finishes a sign-in at the IdP's redirect. In order, each refusing with its own reason:
 * 1. the state is the one this browser's cookie holds, and a sign-in under way still has it — the
 *    row is deleted as it is read, so a state works once, and only within its 10 minutes;
 * 2. openid-client exchanges the code (with the PKCE verifier) and validates the ID token: the
 *    signature against the IdP's JWKS, issuer, audience, expiry (by the app's clock) and nonce;
 * 3. the email is verified by the IdP (`email_verified: true`) and its domain is one of the org's;
 * 4. the account is the org's own (see provision-sso-user.ts), and active;
 * then a session starts exactly as a password sign-in's does.
 */
export async function finishSsoSignIn(
  deps: Deps,
  clients: OidcClients,
  input: { query: URLSearchParams; cookieState?: string; ip: string },
): Promise<{ user: User; cookie: string; csrfToken: string }> {
  const state = input.query.get("state");
  if (!state || !input.cookieState || !safeEqual(state, input.cookieState)) {
    throw new SsoRefusal("state_invalid", "the sign-in was not started in this browser");
  }
  const now = deps.clock.now();
  const login = await deps.db.deleteFrom("sso_logins").where("state_hash", "=", sha256Hex(state)).returningAll().executeTakeFirst();
  if (!login || login.expires_at <= now.toISOString()) throw new SsoRefusal("state_invalid", "the sign-in expired or was already used");
  if (input.query.has("error")) {
    throw new SsoRefusal("idp_error", `the identity provider answered ${input.query.get("error")?.slice(0, 100)}`);
  }
  const row = await findSsoConfigRow(deps.db, login.org);
  if (!row) throw new SsoRefusal("sso_not_configured", "single sign-on was removed while signing in");
  const sso = toSsoConfig(row);
  const clientSecret = openWebhookSecret(webhookSecretKey(deps.config), ssoSecretAad(sso.org), row.client_secret);
  const config = await clients.configFor({ ...sso, clientSecret }).catch((err: Error) => {
    deps.log.warn({ org: sso.org, issuer: sso.issuer, err: err.message }, "sso: the identity provider could not be reached");
    throw new SsoRefusal("idp_unreachable", "the identity provider could not be reached");
  });

  // The URL the IdP redirected to, as registered: behind a proxy the request's own URL differs.
  const redirectUri = ssoCallbackUrl(deps.config.publicUrl);
  const currentUrl = new URL(`${redirectUri}?${input.query.toString()}`);
  let claims: oidc.IDToken;
  try {
    const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: login.code_verifier,
      expectedState: state,
      expectedNonce: login.nonce,
      idTokenExpected: true,
    });
    claims = tokens.claims()!;
  } catch (err) {
    const e = err as Error & { code?: string };
    deps.log.warn({ org: sso.org, issuer: sso.issuer, code: e.code, err: e.message }, "sso: the ID token was refused");
    throw new SsoRefusal("token_invalid", "the identity provider's answer could not be verified");
  } finally {
    clients.keepJwks(sso.org, config);
  }

  const email = typeof claims.email === "string" ? claims.email.toLowerCase() : "";
  if (!email || email.length > 320 || claims.email_verified !== true) throw new SsoRefusal("email_unverified", "the identity provider did not verify the email address");
  const domain = emailDomainOf(email);
  if (!domain || !sso.emailDomains.includes(domain)) throw new SsoRefusal("email_domain_not_allowed", `${email} is outside the organization's email domains`);
  const name = typeof claims.name === "string" && claims.name.trim() ? claims.name.trim().slice(0, 200) : email;

  return deps.db.transaction().execute(async (trx) => {
    const user = await findOrProvisionSsoUser(trx, sso, { email, name, claims }, now, input.ip);
    await recordOrgActivity(trx, user.tenantId, {
      at: now,
      operation: "user.signed_in",
      actor: { type: "user", id: user.id, name: user.name, ip: input.ip },
      target: { type: "user", id: user.id },
      details: {
        method: "oidc",
        issuer: sso.issuer,
        amr: Array.isArray(claims.amr) ? claims.amr.filter((v) => typeof v === "string").slice(0, 20) : null,
        acr: typeof claims.acr === "string" ? claims.acr.slice(0, 200) : null,
      },
    });
    return { user, ...(await createSession(trx, now, user.id)) };
  });
}
