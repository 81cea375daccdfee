/** The shapes the public API answers with (see /openapi.json); the UI reads nothing else. */

export const providerRoles = ["engineer", "manager", "provider_admin"] as const;
export const tenantRoles = ["global_admin", "lockbox_approver", "auditor"] as const;
export type ProviderRole = (typeof providerRoles)[number];
export type TenantRole = (typeof tenantRoles)[number];
export type Role = ProviderRole | TenantRole;

export interface User {
  id: string;
  tenantId: string | null;
  email: string;
  name: string;
  roles: Role[];
  status: "invited" | "active";
  createdAt: string;
}

export interface Session {
  user: User;
  csrfToken: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Invitation {
  token: string;
  url: string;
  expiresAt: string;
}

export const requestStatuses = [
  "pending_manager",
  "pending_customer",
  "approved",
  "rejected",
  "denied",
  "expired",
  "canceled",
  "revoked",
  "completed",
] as const;
export type RequestStatus = (typeof requestStatuses)[number];

export interface Person {
  id: string;
  name: string;
}

export interface Decision {
  by: Person;
  at: string;
  decision: "approve" | "reject" | "deny";
  comment: string | null;
}

export interface AccessRequest {
  id: string;
  tenantId: string;
  status: RequestStatus;
  ticket: string;
  reason: string;
  services: string[];
  accessLevel: "read" | "write";
  requestedMinutes: number;
  grantedMinutes: number | null;
  requester: Person & { email: string };
  createdAt: string;
  decideBy: string;
  requiredApprovals: number | null;
  managerDecision: Decision | null;
  approvals: { by: Person; at: string; comment: string | null }[];
  customerDecision: Decision | null;
  accessStartsAt: string | null;
  accessEndsAt: string | null;
  endedAt: string | null;
  endedBy: Person | null;
  endReason: string | null;
}

export interface Tenant {
  id: string;
  name: string;
  createdAt: string;
}

export interface TenantSettings {
  auditingEnabled: boolean;
  lockboxEnabled: boolean;
  approvalWindowMinutes: number;
  maxAccessMinutes: number;
  requiredApprovals: number;
  protectedServices: "all" | string[];
  notificationEmails: string[];
}

export interface Service {
  key: string;
  name: string;
  description: string;
}

export interface AuditEvent {
  chain: string;
  seq: number;
  id: string;
  at: string;
  operation: string;
  actor: { type: string; id: string; name: string; ip?: string };
  target: { type: string; id: string };
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface GrantToken {
  token: string;
  expiresAt: string;
}

/** Webhooks (SPEC section 7). */
export const webhookEventTypes = [
  "request.created",
  "request.manager_approved",
  "request.rejected",
  "request.approved",
  "request.denied",
  "request.canceled",
  "request.expired",
  "request.revoked",
  "request.completed",
] as const;

export interface Webhook {
  id: string;
  tenantId: string | null;
  url: string;
  events: string[] | null;
  createdAt: string;
  disabledAt: string | null;
  disabledReason: string | null;
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  type: string;
  attempt: number;
  at: string;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}
