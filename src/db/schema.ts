import type { Generated, Kysely, Transaction } from "kysely";

/**
 * Table types. Times are ISO-8601 UTC strings (they sort as text on both databases), booleans are
 * 0/1 integers and lists are JSON text, so one set of queries runs on SQLite and PostgreSQL.
 */
export interface TenantTable {
  id: string;
  name: string;
  created_at: string;
  auditing_enabled: number;
  lockbox_enabled: number;
  approval_window_minutes: number;
  max_access_minutes: number;
  required_approvals: number;
  protected_services: string; // JSON: "all" or string[]
  notification_emails: string; // JSON string[]
}

export interface UserTable {
  id: string;
  tenant_id: string | null; // null: provider staff
  email: string;
  name: string;
  roles: string; // JSON Role[]
  password_hash: string | null;
  status: "invited" | "active";
  created_at: string;
}

export interface SessionTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
  /** Last use, written at most once a minute; idle sessions end (0005-session-idle). */
  last_seen_at: string | null;
}

export interface ApiTokenTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  created_at: string;
  expires_at: string | null;
}

export interface InvitationTable {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
}

export interface ServiceTable {
  key: string;
  name: string;
  description: string;
  created_at: string;
}

export interface AccessRequestTable {
  id: string;
  tenant_id: string;
  status: string;
  ticket: string;
  reason: string;
  services: string; // JSON string[]
  access_level: "read" | "write";
  requested_minutes: number;
  granted_minutes: number | null;
  requester_id: string;
  created_at: string;
  decide_by: string;
  required_approvals: number | null;
  approval_count: number;
  manager_decision: string | null; // JSON Decision
  customer_decision: string | null; // JSON Decision
  access_starts_at: string | null;
  access_ends_at: string | null;
  ended_at: string | null;
  ended_by: string | null; // JSON {id, name}
  end_reason: string | null;
}

export interface RequestApprovalTable {
  request_id: string;
  user_id: string;
  user_name: string;
  at: string;
  comment: string | null;
}

export interface AuditEventTable {
  pos: Generated<number>;
  chain: string;
  seq: number;
  id: string;
  at: string;
  operation: string;
  actor: string; // JSON AuditActor
  actor_id: string;
  target: string; // JSON AuditTarget
  request_id: string | null;
  details: string; // JSON
  prev_hash: string;
  hash: string;
}

export interface AuditCheckpointTable {
  chain: string;
  seq: number;
  hash: string;
  at: string;
  jws: string;
}

export interface AuditHeadTable {
  chain: string;
  seq: number;
  hash: string;
}

export interface OutboxTable {
  id: string;
  kind: "email" | "webhook";
  idempotency_key: string;
  destination: string;
  payload: string; // JSON, see src/notify/outbox.ts
  status: "pending" | "sent" | "failed" | "canceled";
  attempts: number;
  created_at: string;
  next_attempt_at: string;
  claimed_until: string | null;
  claim_token: string | null;
  last_error: string | null;
  sent_at: string | null;
}

export interface WebhookTable {
  id: string;
  tenant_id: string | null; // null: the provider's
  url: string;
  events: string | null; // JSON string[]; null: every request event
  secret: string; // encrypted (AES-256-GCM), not hashed: it must be usable to sign (src/notify/webhook-secrets.ts)
  created_by: string;
  created_at: string;
  disabled_at: string | null;
  disabled_reason: string | null;
  deleted_at: string | null;
}

export interface WebhookDeliveryTable {
  id: string;
  webhook_id: string;
  outbox_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  at: string;
  ok: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export interface NotificationReminderTable {
  request_id: string;
  stage: string;
  created_at: string;
}

export interface SigningKeyTable {
  kid: string;
  public_jwk: string; // JSON JWK (OKP Ed25519)
  private_key_enc: string;
  created_at: string;
  retired_at: string | null;
  publish_until: string | null;
}

export interface ServiceCredentialTable {
  id: string;
  name: string;
  token_hash: string;
  created_at: string;
  created_by: string;
}

export interface RevocationTable {
  cursor: number;
  request_id: string;
  tenant_id: string;
  at: string;
  reason: string;
}

export interface Database {
  tenants: TenantTable;
  users: UserTable;
  sessions: SessionTable;
  api_tokens: ApiTokenTable;
  invitations: InvitationTable;
  services: ServiceTable;
  access_requests: AccessRequestTable;
  request_approvals: RequestApprovalTable;
  audit_events: AuditEventTable;
  audit_heads: AuditHeadTable;
  audit_checkpoints: AuditCheckpointTable;
  outbox: OutboxTable;
  webhooks: WebhookTable;
  webhook_deliveries: WebhookDeliveryTable;
  notification_reminders: NotificationReminderTable;
  signing_keys: SigningKeyTable;
  service_credentials: ServiceCredentialTable;
  revocations: RevocationTable;
}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Queries that may run inside or outside a transaction take either. */
export type Queryable = Db | Tx;
