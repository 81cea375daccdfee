import { randomBytes, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";

/** A person the demo's identity provider signs in: the claims its ID tokens carry. */
export interface DemoIdpAccount {
  email: string;
  name: string;
  groups: string[];
}

export interface DemoIdpOptions {
  clientId: string;
  clientSecret: string;
  /** Lockbox's callback, `<LOCKBOX_PUBLIC_URL>/v1/auth/sso/callback`. */
  redirectUri: string;
  /** One password for every demo account: it is a demo IdP, and printed in the terminal. */
  password: string;
  accounts: DemoIdpAccount[];
  /** 0 lets the system pick. */
  port: number;
}

export interface DemoIdp {
  issuer: string;
  close(): Promise<void>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function samePassword(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Reads a small urlencoded form; the login form has two short fields. */
async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  let body = "";
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 4096) throw new Error("form too large");
  }
  return new URLSearchParams(body);
}

function loginPage(action: string, email: string, problem: string | null): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo identity provider — sign in</title>
<style>body{font:16px system-ui,sans-serif;background:#f3f4f6;display:grid;place-items:center;min-height:100vh;margin:0}
main{background:#fff;border:1px solid #d1d5db;border-radius:8px;padding:24px;width:min(360px,90vw)}
h1{font-size:20px;margin:0 0 4px}p{color:#4b5563;margin:0 0 16px}label{display:block;margin:12px 0 4px;font-weight:600}
input{width:100%;box-sizing:border-box;padding:8px;font:inherit}button{margin-top:16px;width:100%;padding:10px;font:inherit;background:#1d4ed8;color:#fff;border:0;border-radius:6px}
.error{color:#b91c1c;font-weight:600}</style></head>
<body><main><h1>Demo identity provider</h1><p>Stands in for your organization's Entra ID, Okta or Google in <code>lockbox demo</code>.</p>
${problem ? `<p class="error" role="alert">${escapeHtml(problem)}</p>` : ""}
<form method="post" action="${escapeHtml(action)}">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required maxlength="200" value="${escapeHtml(email)}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200">
<button type="submit">Sign in</button></form></main></body></html>`;
}

/**
 * oidc-provider, loaded only by the demo (not by every CLI command), with its two start-up
 * warnings kept out of the demo's terminal: its in-memory store is what a demo wants (a restart
 * forgets sign-ins in progress), and it runs on Node 20, which it warns about but works on.
 */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] !== "string" || !args[0].startsWith("oidc-provider WARNING:")) warn(...args);
  };
  try {
    return await work();
  } finally {
    console.warn = warn;
  }
}

/**
 * The demo's own OpenID provider (`oidc-provider`) on a loopback port, so a newcomer sees
 * "Sign in with your organization" work on one machine: a real authorization code flow with PKCE,
 * ID tokens signed by a key made at start and published in its JWKS, and a plain login page that
 * checks the demo password. No consent screen: the one client is Lockbox.
 */
export async function startDemoIdp(options: DemoIdpOptions): Promise<DemoIdp> {
  const byEmail = new Map(options.accounts.map((a) => [a.email.toLowerCase(), a]));
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: "demo-idp-key", alg: "RS256", use: "sig" };
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", resolve);
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = await quietly(async () => {
    const { default: Provider } = await import("oidc-provider");
    return new Provider(issuer, {
      clients: [
        {
          client_id: options.clientId,
          client_secret: options.clientSecret,
          redirect_uris: [options.redirectUri],
          token_endpoint_auth_method: "client_secret_basic",
        },
      ],
      async findAccount(_ctx, sub) {
        const account = byEmail.get(sub);
        if (!account) return undefined;
        return { accountId: sub, claims: async () => ({ sub, email: account.email, email_verified: true, name: account.name, groups: account.groups }) };
      },
      claims: { openid: ["sub", "acr", "amr", "auth_time"], email: ["email", "email_verified"], profile: ["name", "groups"] },
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      cookies: { keys: [randomBytes(32).toString("base64url")] },
      jwks: { keys: [jwk as never] },
    });
  });
  const callback = provider.callback();

  server.on("request", (req, res) => {
    const url = new URL(req.url!, issuer);
    const match = /^\/interaction\/([\w-]{1,100})(\/login)?$/.exec(url.pathname);
    if (!match) return callback(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      const page = (status: number, email: string, problem: string | null) => {
        res.statusCode = status;
        res.setHeader("content-type", "text/html; charset=utf-8");
        res.end(loginPage(`/interaction/${match[1]}/login`, email, problem));
      };
      if (req.method !== "POST" || !match[2]) return page(200, String(details.params.login_hint ?? ""), null);
      const form = await readForm(req);
      const email = (form.get("email") ?? "").trim().toLowerCase();
      const account = byEmail.get(email);
      if (!account || !samePassword(form.get("password") ?? "", options.password)) {
        return page(401, email, "Unknown email or wrong password. The demo's terminal shows both.");
      }
      const grant = new provider.Grant({ accountId: email, clientId: details.params.client_id as string });
      grant.addOIDCScope(details.params.scope as string);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId: email, amr: ["pwd"] }, consent: { grantId } }, { mergeWithLastSubmission: false });
    })().catch((err: Error) => {
      // An expired or unknown interaction (a stale tab, a restarted demo): start again at Lockbox.
      res.statusCode = 400;
      res.setHeader("content-type", "text/plain; charset=utf-8");
      res.end(`This sign-in can no longer continue (${err.message}). Start again from Lockbox's sign-in page.`);
    });
  });

  return { issuer, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
