import type { FastifyInstance, FastifyReply } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../../deps.js";
import { invalidField } from "../../errors.js";
import { callerOf } from "../../http/authenticate.js";
import { errorResponses } from "../../http/common-schemas.js";
import { LoginThrottle } from "../login-throttle.js";
import type { Role } from "../roles.js";
import { SESSION_COOKIE, SESSION_MINUTES } from "../sessions.js";
import { finishSsoSignIn } from "./finish-sso-sign-in.js";
import { deleteSsoConfig, getSsoConfig, putSsoConfig } from "./manage-sso.js";
import { OidcClients } from "./oidc-client.js";
import type { SsoConfig } from "./sso-config.js";
import { SsoRefusal } from "./sso-refusal.js";
import { orgParams, putSsoBody, ssoConfigSchema, startQuery } from "./sso-schemas.js";
import { SSO_LOGIN_MINUTES, ssoCallbackUrl, startSsoSignIn } from "./start-sso-sign-in.js";

/** The cookie tying a callback to the browser that started the sign-in; holds the state. */
export const SSO_STATE_COOKIE = "lockbox_sso_state";
/** Sign-ins one address may start per 10 minutes (each stores a row until it expires); an office behind one NAT fits. */
const STARTS_PER_WINDOW = 300;
/** A callback's query is the IdP's code, state and session state: anything longer is not one. */
const MAX_CALLBACK_QUERY = 8192;

/** Single sign-on (SPEC 14): the org's IdP configuration, and the browser flow through it. */
export function ssoRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const clients = new OidcClients(deps.clock, deps.config.webhookAllowPrivate);
  const starts = new LoginThrottle(deps.clock, STARTS_PER_WINDOW, SSO_LOGIN_MINUTES * 60_000);
  const secure = deps.config.publicUrl.startsWith("https:");
  const tags = ["single sign-on"];
  const view = (c: SsoConfig) => ({ ...c, redirectUri: ssoCallbackUrl(deps.config.publicUrl) });

  r.get(
    "/v1/orgs/:org/sso",
    { schema: { tags, description: "The org's IdP (never its secret), or null when it has none.", params: orgParams, response: { 200: ssoConfigSchema.nullable(), ...errorResponses } } },
    async (req) => {
      const config = await getSsoConfig(deps, callerOf(req), req.params.org);
      return config && view(config);
    },
  );
  r.put(
    "/v1/orgs/:org/sso",
    { config: { stepUp: true }, schema: { tags, params: orgParams, body: putSsoBody, response: { 200: ssoConfigSchema, ...errorResponses } } },
    async (req) => {
      const body = { ...req.body, roleMap: req.body.roleMap as Record<string, Role[]> | undefined };
      return view(await putSsoConfig(deps, clients, callerOf(req), req.params.org, body));
    },
  );
  r.delete("/v1/orgs/:org/sso", { config: { stepUp: true }, schema: { tags, params: orgParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    await deleteSsoConfig(deps, clients, callerOf(req), req.params.org);
    return reply.code(204).send(null);
  });

  r.get(
    "/v1/auth/sso/start",
    {
      config: { auth: false },
      schema: {
        tags,
        description: "Redirects the browser to the IdP of the org the email's domain belongs to (or of `org`).",
        querystring: startQuery,
        response: { 302: z.null(), ...errorResponses, 429: errorResponses[400] },
      },
    },
    async (req, reply) => {
      if (!req.query.email && !req.query.org) throw invalidField("email", "give an email (or an org)");
      starts.refuseIfLimited([`ip:${req.ip}`], "too many sign-ins started; try again later");
      starts.fail([`ip:${req.ip}`]);
      try {
        const { redirectTo, state } = await startSsoSignIn(deps, clients, req.query);
        reply.setCookie(SSO_STATE_COOKIE, state, {
          path: "/v1/auth/sso",
          httpOnly: true,
          // Lax: sent on the IdP's top-level redirect back, never on cross-site subrequests.
          sameSite: "lax",
          secure,
          maxAge: SSO_LOGIN_MINUTES * 60,
        });
        return reply.redirect(redirectTo, 302);
      } catch (err) {
        return refuse(reply, err);
      }
    },
  );

  r.get(
    "/v1/auth/sso/callback",
    { config: { auth: false }, schema: { tags, description: "The IdP's redirect URI; always answers with a redirect.", response: { 302: z.null() } } },
    async (req, reply) => {
      const cookieState = req.cookies[SSO_STATE_COOKIE];
      reply.clearCookie(SSO_STATE_COOKIE, { path: "/v1/auth/sso" });
      try {
        const raw = req.url.includes("?") ? req.url.slice(req.url.indexOf("?") + 1) : "";
        if (raw.length > MAX_CALLBACK_QUERY) throw new SsoRefusal("state_invalid", "the callback is not one this server started");
        const result = await finishSsoSignIn(deps, clients, {
          query: new URLSearchParams(raw),
          ...(cookieState && cookieState.length <= 200 ? { cookieState } : {}),
          ip: req.ip,
        });
        reply.setCookie(SESSION_COOKIE, result.cookie, { path: "/", httpOnly: true, sameSite: "lax", secure, maxAge: SESSION_MINUTES * 60 });
        // The admin center adopts the new session on this mark (it asks /v1/me only when it has one).
        return reply.redirect("/?sso=signed_in", 302);
      } catch (err) {
        return refuse(reply, err);
      }
    },
  );

  /** Browser flows end on the sign-in page with a reason, never an error page or a 500. */
  function refuse(reply: FastifyReply, err: unknown) {
    const reason = err instanceof SsoRefusal ? err.reason : "sso_failed";
    if (err instanceof SsoRefusal) deps.log.info({ reason, err: err.message }, "sso: sign-in refused");
    else deps.log.error({ err }, "sso: sign-in failed");
    return reply.redirect(`/?sso_error=${reason}`, 302);
  }
}
