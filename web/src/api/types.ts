/** The shapes the public API answers with (see /openapi.json); the UI reads nothing else. */

// The domain's own definitions, shared with the server so the two cannot drift apart. These
// modules are pure (no Node APIs), so the bundle can include them.
export { providerRoles, tenantRoles } from "../../../src/identity/roles.js";
export type { ProviderRole, TenantRole, Role, User } from "../../../src/identity/roles.js";
export { requestStatuses } from "../../../src/requests/request-lifecycle.js";
export type { RequestStatus } from "../../../src/requests/request-lifecycle.js";
export type { AccessRequest, Decision, PersonRef as Person } from "../../../src/requests/access-request.js";
export type { TenantSettings } from "../../../src/tenants/tenant-settings.js";
export type { Tenant } from "../../../src/tenants/tenant-queries.js";
import type { User } from "../../../src/identity/roles.js";

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
