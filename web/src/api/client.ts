/**
 * The one way the UI talks to the server: same-origin fetch with the session cookie, the CSRF
 * header on every state-changing call, and every failure turned into an ApiError read from the
 * server's error envelope.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type Query = Record<string, string | number | undefined | null | false>;

let csrfToken: string | null = null;
let onUnauthenticated: (() => void) | null = null;

/**
 * What the person did when a call answered 401 `step_up_required` (SPEC 14): a passkey
 * verification, which the server now holds for the session (nothing to send), or a TOTP code to
 * send with the retry in `X-Lockbox-OTP`. The handler rejects when the person gives up.
 */
export interface StepUpProof {
  otp?: string;
}
export type StepUpMethod = "passkey" | "totp";
type StepUpHandler = (methods: StepUpMethod[]) => Promise<StepUpProof>;
let onStepUp: StepUpHandler | null = null;

/** The admin center's step-up prompt (features/account/step-up-dialog.tsx) registers here. */
export function setStepUpHandler(handler: StepUpHandler | null): void {
  onStepUp = handler;
}

/** The step-up's own calls: their refusals are the prompt's business, never a signed-out session. */
const isVerifyCall = (path: string) => path.startsWith("/v1/auth/verify");

function stepUpMethods(details: unknown): StepUpMethod[] {
  const listed = (details as { methods?: unknown } | undefined)?.methods;
  const methods = Array.isArray(listed) ? listed.filter((m): m is StepUpMethod => m === "passkey" || m === "totp") : [];
  return methods.length ? methods : ["passkey", "totp"];
}

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when a signed-in session is refused (expired or signed out elsewhere). */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== false && v !== "") params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function send<T>(method: string, path: string, body?: unknown, proof?: StepUpProof): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["x-csrf-token"] = csrfToken;
  if (proof?.otp) headers["x-lockbox-otp"] = proof.otp;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, "network", "The server could not be reached. Check your connection and try again.");
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const envelope = (data as { error?: { code?: string; message?: string; details?: unknown; requestId?: string } })?.error;
    const error = new ApiError(
      res.status,
      envelope?.code ?? "http_error",
      envelope?.message ?? `The server answered ${res.status}.`,
      envelope?.details,
      envelope?.requestId,
    );
    // Step-up: prove presence once, then retry the very call once. A second refusal (a wrong
    // or spent code) goes to the page as it is: the person starts the action again.
    if (res.status === 401 && error.code === "step_up_required") {
      if (!onStepUp || proof || isVerifyCall(path)) throw error;
      const given = await onStepUp(stepUpMethods(error.details));
      return send<T>(method, path, body, given);
    }
    if (res.status === 401 && path !== "/v1/auth/login" && !isVerifyCall(path)) onUnauthenticated?.();
    throw error;
  }
  return data as T;
}

/** Plain text (exports), with the same error handling as JSON calls. */
async function text(path: string): Promise<string> {
  const res = await fetch(path, { credentials: "same-origin" });
  if (!res.ok) {
    const data = (await res.json().catch(() => undefined)) as { error?: { code: string; message: string } } | undefined;
    throw new ApiError(res.status, data?.error?.code ?? "http_error", data?.error?.message ?? `The server answered ${res.status}.`);
  }
  return res.text();
}

export const api = {
  get: <T>(path: string, query?: Query) => send<T>("GET", withQuery(path, query)),
  post: <T>(path: string, body?: unknown) => send<T>("POST", path, body),
  patch: <T>(path: string, body: unknown) => send<T>("PATCH", path, body),
  put: <T>(path: string, body: unknown) => send<T>("PUT", path, body),
  delete: <T = void>(path: string, body?: unknown) => send<T>("DELETE", path, body),
  text,
};

/** A message for people: the API's own message as a sentence, or a calm fallback. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return sentence(error.message);
  return "Something went wrong.";
}

/** Server messages may start lowercase ("request not found"); a person reads a sentence. */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return "Something went wrong.";
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}
