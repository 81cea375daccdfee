/** The shapes the public API answers with (see /openapi.json); the UI reads nothing else. */

// The domain's own definitions, shared with the server so the two cannot drift apart. These
// modules are pure (no Node APIs), so the bundle can include them.
export { providerRoles, tenantRoles } from "../../../src/identity/roles.js";
export type { ProviderRole, TenantRole, Role } from "../../../src/identity/roles.js";
export { requestStatuses } from "../../../src/requests/request-lifecycle.js";
export type { RequestStatus } from "../../../src/requests/request-lifecycle.js";
export type { Decision, PersonRef as Person } from "../../../src/requests/access-request.js";
export type { Tenant } from "../../../src/tenants/tenant-queries.js";
export { catalogOperations, operationCatalog } from "../../../src/audit/operation-catalog.js";
export type { AccessRequest } from "../../../src/requests/access-request.js";
export type { TenantSettings } from "../../../src/tenants/tenant-settings.js";
import type { User as ServerUser } from "../../../src/identity/roles.js";

/** Lists never show removed people (SPEC section 20), so the UI knows three statuses. */
export type UserStatus = Exclude<ServerUser["status"], "removed">;
export type User = Omit<ServerUser, "status"> & { status: UserStatus };

/** A pending invitation (GET /v1/invitations). */
export interface PendingInvitation {
  id: string;
  userId: string;
  email: string;
  name: string;
  createdAt: string;
  expiresAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Session {
  user: User;
  csrfToken: string | null;
}

export interface Invitation {
  token: string;
  url: string;
  expiresAt: string;
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

/** Webhooks (SPEC section 7): the request steps they may subscribe to. */
export { requestStepOperations, requestStepOperations as webhookEventTypes } from "../../../src/requests/request-lifecycle.js";
export type { Webhook } from "../../../src/notify/webhook-queries.js";

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
