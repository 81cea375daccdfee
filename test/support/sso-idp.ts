import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import Provider from "oidc-provider";

/** A person known to the test IdP: the claims its ID tokens carry for them. */
export interface IdpAccount {
  email: string;
  email_verified: boolean;
  name?: string;
  groups?: string[];
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Cookies per host for the IdP dance, the way a browser keeps them. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/**
 * A real OpenID provider (`oidc-provider`) on a loopback port, with its own RS256 key, one
 * confidential client and scripted, consent-free interactions: `signIn(authorizationUrl, sub)`
 * plays the browser at the IdP (cookies, redirects, the login and consent step) and returns the
 * URL the IdP sends the browser back to — the relying party's callback with code and state.
 */
export async function startRealIdp(client: { clientId: string; clientSecret: string; redirectUri: string }) {
  const accounts = new Map<string, IdpAccount>();
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: "idp-key-1", alg: "RS256", use: "sig" };
  const server = http.createServer();
  const issuer = await listen(server);
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [client.redirectUri],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account }) };
    },
    claims: { openid: ["sub", "acr", "amr", "auth_time"], email: ["email", "email_verified"], profile: ["name", "groups"] },
    ttl: { IdToken: 3600 },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ["sso-test-cookie-key"] },
    jwks: { keys: [jwk as never] },
  });
  const callback = provider.callback();
  server.on("request", (req, res) => {
    const url = new URL(req.url!, issuer);
    if (!url.pathname.startsWith("/interaction/")) return callback(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      // A scripted login: the account the test names, or (in a browser) the one the login_hint's email is.
      const hint = String(details.params.login_hint ?? "").toLowerCase();
      const accountId = url.searchParams.get("account") ?? [...accounts].find(([, a]) => a.email.toLowerCase() === hint)?.[0] ?? "unknown";
      const grant = new provider.Grant({ accountId, clientId: details.params.client_id as string });
      grant.addOIDCScope(details.params.scope as string);
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId, amr: ["pwd", "mfa"], acr: "urn:example:mfa" }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    })().catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });

  return {
    issuer,
    accounts,
    async signIn(authorizationUrl: string, accountId: string): Promise<URL> {
      const jar = new CookieJar();
      let next = new URL(authorizationUrl);
      for (let hop = 0; hop < 10; hop++) {
        if (next.href.startsWith(client.redirectUri)) return next;
        if (next.pathname.startsWith("/interaction/")) next.searchParams.set("account", accountId);
        const res = await fetch(next, { redirect: "manual", headers: { cookie: jar.header() } });
        jar.store(res);
        const location = res.headers.get("location");
        if (!location) throw new Error(`IdP answered ${res.status} at ${next.pathname}: ${await res.text()}`);
        next = new URL(location, next);
      }
      throw new Error("too many redirects at the IdP");
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** How the forging IdP spoils the next ID token. */
export interface Forgery {
  iss?: string;
  aud?: string;
  expSecondsFromNow?: number;
  nonce?: string;
  /** Sign with a key the IdP's JWKS does not hold (under the published kid). */
  foreignKey?: boolean;
  claims?: Partial<IdpAccount>;
}

/**
 * An IdP that issues whatever ID token the test asks for — the attacker's IdP, or a broken one —
 * speaking the real protocol over HTTP (discovery, JWKS, authorize redirect, token endpoint), so
 * the relying party's own validation is what refuses a bad token. With no forgery it issues a
 * correct token, which signs in: that proves each refusal is due to its one spoiled property.
 */
export async function startForgingIdp(client: { clientId: string }) {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const foreign = await generateKeyPair("RS256");
  const kid = "forging-key-1";
  let lastAuth: URLSearchParams | undefined;
  let forgery: Forgery = {};
  let account: IdpAccount = { email: "nobody@example.test", email_verified: true };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, issuer);
    const json = (body: unknown) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(body));
    };
    if (url.pathname === "/.well-known/openid-configuration") {
      return json({
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
      });
    }
    if (url.pathname === "/jwks") return void exportJWK(publicKey).then((k) => json({ keys: [{ ...k, kid, alg: "RS256", use: "sig" }] }));
    if (url.pathname === "/auth") {
      lastAuth = url.searchParams;
      res.statusCode = 302;
      res.setHeader("location", `${url.searchParams.get("redirect_uri")}?code=forged-code&state=${url.searchParams.get("state")}`);
      return res.end();
    }
    if (url.pathname === "/token") {
      const now = Math.floor(Date.now() / 1000);
      const exp = now + (forgery.expSecondsFromNow ?? 600);
      void new SignJWT({ ...account, ...forgery.claims, nonce: forgery.nonce ?? lastAuth?.get("nonce") })
        .setProtectedHeader({ alg: "RS256", kid })
        .setIssuer(forgery.iss ?? issuer)
        .setAudience(forgery.aud ?? client.clientId)
        .setSubject("forged-sub")
        .setIssuedAt(Math.min(now, exp - 60))
        .setExpirationTime(exp)
        .sign(forgery.foreignKey ? foreign.privateKey : privateKey)
        .then((idToken) => json({ access_token: "at", token_type: "Bearer", expires_in: 600, id_token: idToken }));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  const issuer = await listen(server);
  return {
    issuer,
    /** The next token is for this person, spoiled as `f` says. */
    prepare(next: IdpAccount, f: Forgery = {}) {
      account = next;
      forgery = f;
    },
    /** Plays the browser at the IdP: returns the callback URL it redirects to. */
    async signIn(authorizationUrl: string): Promise<URL> {
      const res = await fetch(authorizationUrl, { redirect: "manual" });
      return new URL(res.headers.get("location")!);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
