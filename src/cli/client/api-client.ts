import { CliError } from "../fail.js";
import { EXIT } from "./exit-codes.js";
import { OTP_HEADER, type StepUpOptions, stepUpCode } from "./step-up-prompt.js";

export type Query = Record<string, string | number | undefined>;

/** How calls authenticate: a personal API token, or (only while logging in) a session cookie. */
export type Credentials = { token: string } | { cookie: string; csrfToken: string } | null;

export const LOGIN_HINT = "run `lockbox login --server URL --email E` or set LOCKBOX_TOKEN";
const TIMEOUT_MS = 30_000;

interface Envelope {
  error?: { code?: string; message?: string; requestId?: string; details?: { methods?: string[] } };
}

/** Why fetch could not talk to the server, in words (undici hides it in `cause`). */
function connectionProblem(err: unknown): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return `no answer within ${TIMEOUT_MS / 1000} s`;
  }
  const cause = (err as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "connection closed by the server";
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return "connection timed out";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    default:
      return cause?.message ?? (err instanceof Error ? err.message : String(err));
  }
}

/**
 * The refusal as one line: the envelope's message (which names the field for bad input), or the
 * status when the answer is not Lockbox's envelope (a proxy's error page). 401 points at login.
 */
export async function failureOf(res: Response, server: string, hintLogin = true): Promise<CliError> {
  const text = await res.text().catch(() => "");
  let envelope: Envelope | undefined;
  try {
    envelope = JSON.parse(text) as Envelope;
  } catch {
    envelope = undefined;
  }
  const message = envelope?.error?.message;
  if (res.status >= 300 && res.status < 400) {
    const to = res.headers.get("location");
    return new CliError(`${server} redirects${to ? ` to ${to}` : ""}; use the final address as --server`, EXIT.refused);
  }
  if (res.status === 401 && envelope?.error?.code === "step_up_required") {
    return new CliError(message ?? "step-up required", EXIT.unreachable);
  }
  if (res.status === 401) {
    const said = message ?? "not signed in";
    return new CliError(hintLogin ? `${said} (${server}); ${LOGIN_HINT}` : said, EXIT.unreachable);
  }
  if (!message) return new CliError(`${server} answered ${res.status} ${res.statusText}`.trim(), EXIT.refused);
  if (res.status >= 500) {
    const id = envelope?.error?.requestId;
    return new CliError(`the server failed: ${message}${id ? ` (request id ${id})` : ""}`, EXIT.refused);
  }
  if (res.status === 429) {
    const retry = res.headers.get("retry-after");
    return new CliError(`${message}${retry ? `; try again in ${retry} s` : ""}`, EXIT.refused);
  }
  return new CliError(message, EXIT.refused);
}

/** A thin client over fetch for the /v1 API. Every failure becomes a one-line CliError. */
export class ApiClient {
  constructor(
    readonly server: string,
    private readonly credentials: Credentials,
    /** false while logging in: "run lockbox login" is no help to someone doing just that. */
    private readonly hintLogin = true,
    private readonly stepUp: StepUpOptions = {},
  ) {}

  private headers(hasBody: boolean): Record<string, string> {
    const h: Record<string, string> = { accept: "application/json" };
    if (hasBody) h["content-type"] = "application/json";
    const c = this.credentials;
    if (c && "token" in c) h.authorization = `Bearer ${c.token}`;
    if (c && "cookie" in c) {
      h.cookie = c.cookie;
      h["x-csrf-token"] = c.csrfToken;
    }
    return h;
  }

  url(path: string, query: Query = {}): string {
    // Relative to the server address, so a server behind a path prefix (https://host/lockbox) works.
    const url = new URL(path.replace(/^\//, ""), `${this.server}/`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  /** The raw response of a successful call (status < 400); the caller reads the body. */
  async send(method: string, path: string, options: { query?: Query; body?: unknown; timeout?: boolean; otp?: string } = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.url(path, options.query), {
        method,
        headers: { ...this.headers(options.body !== undefined), ...(options.otp ? { [OTP_HEADER]: options.otp } : {}) },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        redirect: "manual",
        signal: options.timeout === false ? undefined : AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new CliError(`cannot reach ${this.server}: ${connectionProblem(err)}`, EXIT.unreachable);
    }
    // Step-up (SPEC 14): the server wants a fresh second factor for this call. Retried once with
    // a code (--otp, or asked on the terminal); a second refusal is reported as it is.
    if (res.status === 401 && options.otp === undefined) {
      const methods = await stepUpMethods(res.clone());
      if (methods) return this.send(method, path, { ...options, otp: await stepUpCode(methods, this.stepUp) });
    }
    if (res.status >= 300) throw await failureOf(res, this.server, this.hintLogin);
    return res;
  }

  async call<T>(method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
    const res = await this.send(method, path, options);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`${this.server} is not a Lockbox server (${method} ${path} did not answer JSON)`, EXIT.refused);
    }
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.call<T>("GET", path, { query });
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>("POST", path, { body });
  }
}

/** The methods a 401 step_up_required lists, or undefined for any other 401. */
async function stepUpMethods(res: Response): Promise<string[] | undefined> {
  try {
    const envelope = (await res.json()) as Envelope;
    if (envelope.error?.code !== "step_up_required") return undefined;
    const methods = envelope.error.details?.methods;
    return Array.isArray(methods) ? methods.filter((m): m is string => typeof m === "string") : [];
  } catch {
    return undefined;
  }
}

/** Path segments from user input are encoded, so an id can never reach another route. */
export const seg = (value: string) => encodeURIComponent(value);
