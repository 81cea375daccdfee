import { addMinutes, type Clock } from "../clock.js";
import type { Deps } from "../deps.js";
import { newSecret } from "../ids.js";
import { insertUser } from "../identity/manage-users.js";
import { hashPassword } from "../identity/passwords.js";
import type { Caller, Role, User } from "../identity/roles.js";
import { approveRequest } from "../requests/approve-request.js";
import { createRequest } from "../requests/create-request.js";
import { denyRequest } from "../requests/deny-request.js";
import { createService } from "../catalog/services.js";
import { createTenant } from "../tenants/create-tenant.js";
import { updateTenantSettings } from "../tenants/update-tenant-settings.js";

/** The seed document's customer-data categories, as the provider's service catalog. */
export const demoServices = [
  { key: "mail", name: "Mail", description: "Mailbox content: emails and attachments" },
  { key: "files", name: "Files", description: "Sites and document libraries" },
  { key: "bi", name: "BI", description: "Business intelligence datasets and reports" },
  { key: "chat", name: "Chat", description: "Chat messages and channel files" },
  { key: "voice", name: "Voice", description: "Voice calls and voicemail" },
  { key: "storage", name: "Blob storage", description: "Blob storage containers and objects" },
  { key: "meetings", name: "Meetings", description: "Meeting recordings and transcripts" },
  { key: "forms", name: "Forms", description: "Forms and their responses" },
];

export interface DemoLogin {
  org: string;
  role: string;
  email: string;
  password: string;
}

/**
 * Seeds a provider with staff, two tenants (Contoso with lockbox on, Fabrikam with it off), one
 * user per role with a generated password, the service catalog and requests in several statuses.
 * Every change goes through the same use cases as the API, so the audit chains are real.
 */
export async function seedDemo(deps: Deps, providerAdmin: User): Promise<DemoLogin[]> {
  const logins: DemoLogin[] = [];
  const admin: Caller = { user: providerAdmin };
  const person = async (org: string, tenantId: string | null, role: Role, email: string, name: string) => {
    const password = newSecret().slice(0, 16);
    const passwordHash = await hashPassword(password);
    const user = await deps.db
      .transaction()
      .execute((trx) => insertUser(trx, { email, name, roles: [role], tenantId, passwordHash }, deps.clock.now()));
    logins.push({ org, role, email, password });
    return { user } satisfies Caller;
  };

  for (const s of demoServices) await createService(deps, admin, s);
  const engineer = await person("provider", null, "engineer", "erin@provider.example", "Erin Engineer");
  const engineer2 = await person("provider", null, "engineer", "eddie@provider.example", "Eddie Engineer");
  const manager = await person("provider", null, "manager", "maya@provider.example", "Maya Manager");

  const tenantCallers: Record<string, Record<string, Caller>> = {};
  const tenants: Record<string, string> = {};
  for (const [org, domain] of [
    ["Contoso", "contoso.example"],
    ["Fabrikam", "fabrikam.example"],
  ] as const) {
    const { tenant } = await createTenant(deps, admin, { name: org, adminEmail: `onboarding@${domain}` });
    tenants[org] = tenant.id;
    tenantCallers[org] = {
      global_admin: await person(org, tenant.id, "global_admin", `grace@${domain}`, `Grace Admin (${org})`),
      lockbox_approver: await person(org, tenant.id, "lockbox_approver", `adam@${domain}`, `Adam Approver (${org})`),
      auditor: await person(org, tenant.id, "auditor", `aude@${domain}`, `Aude Auditor (${org})`),
    };
    // New tenants ask for step-up (SPEC 14), but a newcomer's demo approvers have no passkey or
    // authenticator app yet: the demo starts with it off and says how to turn it on (cli/demo.ts).
    await updateTenantSettings(deps, tenantCallers[org]!.global_admin!, tenant.id, { requireMfaForDecisions: false });
  }
  const contoso = tenants.Contoso!;
  const contosoAdmin = tenantCallers.Contoso!.global_admin!;
  const contosoApprover = tenantCallers.Contoso!.lockbox_approver!;
  await updateTenantSettings(deps, contosoAdmin, contoso, { auditingEnabled: true });
  await updateTenantSettings(deps, contosoAdmin, contoso, {
    lockboxEnabled: true,
    notificationEmails: ["security@contoso.example"],
  });

  const file = (who: Caller, tenantId: string, ticket: string, services: string[], minutes: number) =>
    createRequest(deps, who, {
      tenantId,
      ticket,
      reason: `Customer reported a problem (case ${ticket}); need to inspect the affected ${services.join(" and ")} data.`,
      services,
      accessLevel: "read",
      requestedMinutes: minutes,
    });

  // One of each: waiting for the manager, waiting for the customer, approved, denied, and a
  // Fabrikam request that manager approval alone grants (lockbox off there).
  await file(engineer, contoso, "CASE-1001", ["mail"], 60);
  const waiting = await file(engineer, contoso, "CASE-1002", ["files", "chat"], 120);
  await approveRequest(deps, manager, waiting.id, { comment: "Customer confirmed the case" });
  const active = await file(engineer2, contoso, "CASE-1003", ["mail"], 240);
  await approveRequest(deps, manager, active.id, {});
  await approveRequest(deps, contosoApprover, active.id, { comment: "OK for this case", grantedMinutes: 90 });
  const denied = await file(engineer, contoso, "CASE-1004", ["meetings"], 30);
  await approveRequest(deps, manager, denied.id, {});
  await denyRequest(deps, contosoApprover, denied.id, { comment: "Not for recordings" });
  const fabrikam = await file(engineer, tenants.Fabrikam!, "CASE-2001", ["bi"], 45);
  await approveRequest(deps, manager, fabrikam.id, {});
  // Filed 13 hours ago and never decided: the sweeper records it as expired.
  const yesterday: Clock = { now: () => addMinutes(deps.clock.now(), -13 * 60) };
  await createRequest({ ...deps, clock: yesterday }, engineer2, {
    tenantId: contoso,
    ticket: "CASE-0999",
    reason: "Mailbox rule misfires; nobody decided in time.",
    services: ["mail"],
    accessLevel: "read",
    requestedMinutes: 30,
  });
  return logins;
}
