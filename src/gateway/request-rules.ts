import type { IncomingHttpHeaders } from "node:http";

/**
 * The gateway's pure rules about a request's method and headers (SPEC §13). The upstream trusts
 * `X-Lockbox-*` headers, so nothing a client sends may reach it under those names, in any
 * spelling an upstream framework would read as the same header.
 */

/** The only methods forwarded; anything else is 405 (an unknown method is neither read nor write). */
export const FORWARDED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;
const forwarded = new Set<string>(FORWARDED_METHODS);
/** Only these need no more than read access. OPTIONS is not a read: it is not forwarded at all. */
const readMethods = new Set(["GET", "HEAD"]);

export const isForwardedMethod = (method: string): boolean => forwarded.has(method);
export const accessFor = (method: string): "read" | "write" => (readMethods.has(method) ? "read" : "write");

/**
 * A header name as WSGI, CGI, PHP and Rack read it: case-insensitive, with `_` and `-` the same
 * (they all turn both into `HTTP_X_LOCKBOX_TENANT`).
 */
export const normalizeHeaderName = (name: string): string => name.toLowerCase().replaceAll("_", "-");

const isLockboxHeader = (normalized: string): boolean => normalized.startsWith("x-lockbox-");

const overrideHeaders = new Set(["x-http-method-override", "x-http-method", "x-method-override"]);

export interface RequestProblem {
  status: 400 | 405;
  code: "invalid_request" | "method_not_allowed";
  message: string;
}

/**
 * Why a request must be refused before anything else is looked at, or undefined.
 *
 * - A `Connection` header naming `authorization` or an `x-lockbox-*` header: a hop-by-hop
 *   proxy strips what it names, which let a client hide the tenant header the gateway checked
 *   and smuggle another tenant's under `X_Lockbox_Tenant`.
 * - A method-override hint (header or `_method` query parameter): frameworks honour them, so a
 *   read grant's GET could become a DELETE behind the gateway's back.
 * - A method outside GET HEAD POST PUT PATCH DELETE.
 */
export function requestProblem(method: string, url: string, headers: IncomingHttpHeaders): RequestProblem | undefined {
  if (!isForwardedMethod(method)) {
    return { status: 405, code: "method_not_allowed", message: `method ${method.slice(0, 32)} is not forwarded; use ${FORWARDED_METHODS.join(", ")}` };
  }
  const connection = headers.connection;
  if (connection !== undefined) {
    const named = String(connection).split(",").map((n) => normalizeHeaderName(n.trim()));
    const bad = named.find((n) => n === "authorization" || isLockboxHeader(n));
    if (bad) return { status: 400, code: "invalid_request", message: `connection: may not name ${bad}` };
  }
  for (const name of Object.keys(headers)) {
    const n = normalizeHeaderName(name);
    if (overrideHeaders.has(n)) return { status: 400, code: "invalid_request", message: `${n}: method overrides are refused` };
  }
  const q = url.indexOf("?");
  if (q >= 0) {
    for (const key of new URLSearchParams(url.slice(q + 1)).keys()) {
      // PHP reads `.`, ` ` and `[` in a parameter name as `_`; `_method[]` is still `_method`.
      if (key.toLowerCase().replace(/[.\s[]/g, "_").startsWith("_method")) {
        return { status: 400, code: "invalid_request", message: "query: the _method override is refused" };
      }
    }
  }
  return undefined;
}

export interface GrantHeaders {
  tenant: string;
  userId: string;
  requestId: string;
  ticket: string;
}

/**
 * The headers the upstream receives: the client's, without the grant token and without anything
 * that reads as `x-lockbox-*`, plus the four the gateway sets from the verified grant.
 */
export function upstreamHeaders<T extends Record<string, unknown>>(incoming: T, grant: GrantHeaders): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(incoming)) {
    const n = normalizeHeaderName(name);
    if (n === "authorization" || isLockboxHeader(n)) continue;
    out[name] = value;
  }
  out["x-lockbox-tenant"] = grant.tenant;
  out["x-lockbox-user"] = grant.userId;
  out["x-lockbox-request"] = grant.requestId;
  // A ticket is free text; percent-encoded so it is always a valid header value.
  out["x-lockbox-ticket"] = encodeURIComponent(grant.ticket);
  return out;
}

/** An activity operation name from a method (`m-search`), always within the server's pattern. */
export const operationOf = (method: string): string => {
  const op = method.toLowerCase().replace(/[^a-z0-9_.-]/g, "_").slice(0, 64);
  return /^[a-z]/.test(op) ? op : `http.${op}`;
};
