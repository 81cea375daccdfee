import type { FastifyReply } from "fastify";
import type { Config } from "../../config.js";
import { SESSION_COOKIE, SESSION_MINUTES } from "../sessions.js";

/**
 * The session cookie exactly as password sign-in sets it (src/identity/identity-routes.ts):
 * HTTP-only, SameSite=Lax, Secure behind an https public URL. Other sign-in methods use this so
 * a session is the same whichever way it started.
 */
export function setSessionCookie(reply: FastifyReply, config: Pick<Config, "publicUrl">, cookie: string): void {
  reply.setCookie(SESSION_COOKIE, cookie, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: config.publicUrl.startsWith("https:"),
    maxAge: SESSION_MINUTES * 60,
  });
}
