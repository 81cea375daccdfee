import { setTimeout as sleep } from "node:timers/promises";
import type { AccessRequest } from "../../requests/access-request.js";
import { CliError } from "../fail.js";
import { type ApiClient, seg } from "./api-client.js";
import { EXIT } from "./exit-codes.js";

export type SignedVerb = "approve" | "deny" | "revoke";

/**
 * A terminal holds no passkey, so on a tenant whose decisions must be signed (SPEC 15) the CLI
 * cannot decide. Returns whether that is the case for this caller and request: only the
 * customer's own people sign, and only when their tenant asks for it.
 */
export async function mustSignInBrowser(api: ApiClient, id: string): Promise<boolean> {
  const me = await api.get<{ user: { tenantId: string | null } }>("/v1/me");
  if (me.user.tenantId === null) return false;
  const settings = await api.get<{ requireSignedApprovals?: boolean }>(`/v1/tenants/${seg(me.user.tenantId)}/settings`);
  return settings.requireSignedApprovals === true;
}

/** Whether the decision this command asked for has been made (by the caller, in the browser, or by anyone). */
function decided(verb: SignedVerb, r: AccessRequest, before: AccessRequest, me: string): boolean {
  if (verb === "revoke") return r.status !== "approved";
  if (r.status !== "pending_customer") return true;
  return verb === "approve" && r.approvals.some((a) => a.by.id === me) && !before.approvals.some((a) => a.by.id === me);
}

/**
 * Prints the request's page in the admin center, where the approver signs with a passkey, and
 * polls the request until the decision is made there (or anyone else's ends it), then returns it.
 * Gives up after `waitMinutes` with exit code 1.
 */
export async function waitForBrowserDecision(
  api: ApiClient,
  id: string,
  verb: SignedVerb,
  opts: { pollSeconds: number; waitMinutes: number; say: (line: string) => void },
): Promise<AccessRequest> {
  const me = (await api.get<{ user: { id: string } }>("/v1/me")).user.id;
  const before = await api.get<AccessRequest>(`/v1/requests/${seg(id)}`);
  opts.say(
    `This tenant requires a passkey signature on every decision, which a terminal cannot give.\n` +
      `Open ${api.server}/requests/${encodeURIComponent(id)} to ${verb} it with your passkey; waiting for the decision…`,
  );
  const deadline = Date.now() + opts.waitMinutes * 60_000;
  for (;;) {
    await sleep(opts.pollSeconds * 1000);
    const now = await api.get<AccessRequest>(`/v1/requests/${seg(id)}`);
    if (decided(verb, now, before, me)) return now;
    if (Date.now() > deadline) throw new CliError(`no decision within ${opts.waitMinutes} minutes; the request is still ${now.status}`, EXIT.refused);
  }
}
