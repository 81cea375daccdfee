import * as oidc from "openid-client";
import { addMinutes } from "../../clock.js";
import type { Deps } from "../../deps.js";
import { sha256Hex } from "../../ids.js";
import { openWebhookSecret, webhookSecretKey } from "../../notify/webhook-secrets.js";
import type { OidcClients } from "./oidc-client.js";
import { SsoRefusal } from "./sso-refusal.js";
import { findSsoConfigRow, findSsoOrgByEmail, ssoSecretAad, toSsoConfig } from "./sso-config.js";

/** How long a started sign-in may take at the IdP before its state is refused. */
export const SSO_LOGIN_MINUTES = 10;

/** The IdP's redirect URI, registered with the IdP; the same for every org. */
export const ssoCallbackUrl = (publicUrl: string) => `${publicUrl.replace(/\/+$/, "")}/v1/auth/sso/callback`;

/**
 * Starts an authorization code flow with PKCE at the org's IdP. The state, nonce and code
 * verifier stay on the server (the state hashed, as its row's key); the caller also puts the state
 * in an HTTP-only cookie, so the callback is finished only by the browser that started it (no one
 * can send a victim a callback link that signs the victim in as someone else). Unknown
 * addresses and orgs get the same answer as an org without SSO: nothing is learned about who
 * configured what.
 */
export async function startSsoSignIn(
  deps: Deps,
  clients: OidcClients,
  input: { email?: string; org?: string },
): Promise<{ redirectTo: string; state: string }> {
  const org = input.org ?? (input.email ? await findSsoOrgByEmail(deps.db, input.email) : undefined);
  const row = org ? await findSsoConfigRow(deps.db, org) : undefined;
  if (!row) throw new SsoRefusal("sso_not_configured", "no single sign-on is configured for this address or organization");
  const sso = toSsoConfig(row);
  const clientSecret = openWebhookSecret(webhookSecretKey(deps.config), ssoSecretAad(sso.org), row.client_secret);
  const config = await clients.configFor({ ...sso, clientSecret }).catch((err: Error) => {
    deps.log.warn({ org: sso.org, issuer: sso.issuer, err: err.message }, "sso: the identity provider could not be reached");
    throw new SsoRefusal("idp_unreachable", "the organization's identity provider could not be reached");
  });

  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const now = deps.clock.now();
  // Expired rows of earlier sign-ins go now: the table holds only sign-ins under way.
  await deps.db.deleteFrom("sso_logins").where("expires_at", "<=", now.toISOString()).execute();
  await deps.db
    .insertInto("sso_logins")
    .values({
      state_hash: sha256Hex(state),
      org: sso.org,
      nonce,
      code_verifier: codeVerifier,
      expires_at: addMinutes(now, SSO_LOGIN_MINUTES).toISOString(),
    })
    .execute();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: ssoCallbackUrl(deps.config.publicUrl),
    scope: sso.scopes.join(" "),
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    ...(input.email ? { login_hint: input.email } : {}),
  });
  return { redirectTo: url.href, state };
}
