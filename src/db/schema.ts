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
  require_decision_comment: number;
  /** Step-up for decisions and security settings (migration 0014-step-up). */
  require_mfa_for_decisions: number;
  break_glass_allowed: number; // 0017
  require_signed_approvals: number; // 0015-signed-approvals
  break_glass_max_minutes: number;
}

export interface UserTable {
  id: string;
  tenant_id: string | null; // null: provider staff
  email: string;
  name: string;
  roles: string; // JSON Role[]
  password_hash: string | null;
  status: "invited" | "active" | "deactivated" | "removed";
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
  end_comment: string | null;
  // 0017, optional so that inserts and older code need not name them (the database defaults them).
  break_glass?: number; // 1 once granted by break-glass
  break_glass_first_id?: string | null;
  break_glass_by?: string | null; // JSON [{id, name, at}]
  auto_approved_by?: string | null; // JSON {policyId, version, name}
  review_verdict?: string | null; // accepted | disputed
  review?: string | null; // JSON {by, at, verdict, comment}
  reason_type: string; // 0016-workflow: customer_initiated_support | provider_initiated_review | ...
  start_at: string | null; // 0016: the scheduled start the requester asked for
}

/** An approver's question on a request and the requester's answer (0016-workflow). */
export interface RequestQuestionTable {
  id: string;
  request_id: string;
  text: string;
  asked_by: string; // JSON {id, name}
  asked_at: string;
  answer: string | null;
  answered_by: string | null; // JSON {id, name}
  answered_at: string | null;
}

/** More time on granted access, decided by the customer like a request (0016-workflow). */
export interface RequestExtensionTable {
  id: string;
  request_id: string;
  status: string; // pending | approved | denied
  minutes: number;
  reason: string;
  requested_by: string; // JSON {id, name}
  requested_at: string;
  required_approvals: number;
  approval_count: number;
  decision: string | null; // JSON Decision
  access_ends_at: string | null;
}

export interface ExtensionApprovalTable {
  extension_id: string;
  user_id: string;
  user_name: string;
  at: string;
  comment: string | null;
}

/** One version of a tenant's auto-approval policy (0017, src/policies/). */
export interface ApprovalPolicyTable {
  id: string;
  version: number;
  tenant_id: string;
  name: string;
  services: string; // JSON string[]
  access_level: "read" | "write";
  max_minutes: number;
  reason_types: string | null; // JSON string[]
  ticket_pattern: string | null;
  hours_from: number | null;
  hours_to: number | null;
  created_by: string; // JSON {id, name}
  created_at: string;
  superseded_at: string | null;
  deleted_at: string | null;
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
  /** How many events the chain's Merkle tree holds (= seq once caught up; see merkle-store.ts). */
  tree_size: Generated<number>;
  /** The tree's frontier: base64 hashes of its complete subtrees, largest first, comma-separated. */
  tree_frontier: Generated<string>;
  /** Tree nodes not yet flushed to merkle_nodes (`level.idx.base64`, comma-separated). */
  tree_pending: Generated<string>;
}

/** Transparency log (SPEC §16), see src/audit/merkle-store.ts and log-checkpoints.ts. */
export interface MerkleNodeTable {
  chain: string;
  level: number;
  idx: number;
  hash: Uint8Array; // a Buffer at run time; typed as its base class so the web bundle needs no Node types
}

export interface AuditLogKeyTable {
  key_id: string; // 8 hex digits
  name: string;
  public_key: string; // base64 Ed25519
  private_key_enc: string;
  created_at: string;
  retired_at: string | null;
}

export interface AuditNoteTable {
  chain: string;
  size: number;
  root: string; // base64
  note: string; // the signed note, log signature only
  at: string;
}

export interface AuditCosignatureTable {
  chain: string;
  size: number;
  witness: string; // the witness's verifier key
  line: string; // its signature line
  at: string;
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

/** An org's OpenID Connect identity provider (src/identity/sso/, migration 0011-sso). */
export interface SsoConfigTable {
  org: string; // "provider" or a tenant id
  tenant_id: string | null;
  issuer: string;
  client_id: string;
  client_secret: string; // encrypted, never returned
  scopes: string; // JSON string[]
  email_domains: string; // JSON string[]
  role_claim: string | null;
  role_map: string; // JSON {claim value: Role[]}
  jit_provisioning: number;
  require_sso: number;
  break_glass_email: string | null;
  updated_at: string;
}

/** A sign-in under way: state (hashed), nonce and PKCE verifier, single use (migration 0011-sso). */
export interface SsoLoginTable {
  state_hash: string;
  org: string;
  nonce: string;
  code_verifier: string;
  expires_at: string;
}

/** A SIEM sink (src/siem/, migration 0010-audit-sinks). */
export interface AuditSinkTable {
  id: string;
  tenant_id: string | null; // null: the provider's
  chain: string;
  type: "splunk_hec" | "syslog" | "http";
  url: string;
  format: "ocsf" | "lockbox";
  token: string | null; // encrypted (AES-256-GCM), never returned
  tls: string | null; // JSON {ca?, serverName?}
  created_by: string;
  created_at: string;
  deleted_at: string | null;
  cursor_seq: number;
  last_delivered_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  failures: number;
  failures_total: number;
  failing_since: string | null;
  outage_reported_at: string | null;
  next_attempt_at: string | null;
  lease_until: string | null;
  lease_token: string | null;
}

/** A WebAuthn credential (src/identity/passkeys/, migration 0012-passkeys-totp). */
export interface PasskeyTable {
  id: string;
  user_id: string;
  credential_id: string; // base64url
  public_key: string; // COSE, base64url
  public_key_jwk: string; // JSON JWK
  algorithm: number; // COSE algorithm, e.g. -7 (ES256)
  counter: number | string; // bigint: pg answers a string
  transports: string; // JSON string[]
  name: string;
  created_at: string;
  last_used_at: string | null;
}

/** A WebAuthn challenge handed out, deleted on use (migration 0012-passkeys-totp). */
export interface WebauthnChallengeTable {
  challenge: string;
  purpose: "register" | "sign_in" | "step_up";
  user_id: string | null;
  expires_at: string;
}

/** A user's TOTP factor (src/identity/totp/, migration 0012-passkeys-totp). */
export interface TotpFactorTable {
  user_id: string;
  secret: string; // AES-256-GCM sealed base32 secret
  created_at: string;
  confirmed_at: string | null; // null: pending
  last_time_step: number | null;
}

export interface RecoveryCodeTable {
  id: string;
  user_id: string;
  code_hash: string;
  created_at: string;
  used_at: string | null;
}

/** The provider org's own settings, one row "provider" (migration 0014-step-up). */
export interface ProviderSettingsTable {
  id: string;
  require_mfa_for_decisions: number;
  updated_at: string;
}

/** A fresh second-factor verification of one session or token (src/identity/step-up/, 0014). */
export interface StepUpVerificationTable {
  holder: string; // "session:<id hash>" | "token:<hash>"
  user_id: string;
  method: string; // "passkey" | "totp" | "recovery_code"
  credential_id: string | null;
  verified_at: string;
  expires_at: string;
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
  merkle_nodes: MerkleNodeTable;
  audit_log_keys: AuditLogKeyTable;
  audit_notes: AuditNoteTable;
  audit_cosignatures: AuditCosignatureTable;
  audit_checkpoints: AuditCheckpointTable;
  outbox: OutboxTable;
  webhooks: WebhookTable;
  webhook_deliveries: WebhookDeliveryTable;
  notification_reminders: NotificationReminderTable;
  signing_keys: SigningKeyTable;
  service_credentials: ServiceCredentialTable;
  revocations: RevocationTable;
  audit_sinks: AuditSinkTable;
  sso_configs: SsoConfigTable;
  sso_domains: { domain: string; org: string };
  sso_logins: SsoLoginTable;
  passkeys: PasskeyTable;
  webauthn_challenges: WebauthnChallengeTable;
  totp_factors: TotpFactorTable;
  recovery_codes: RecoveryCodeTable;
  provider_settings: ProviderSettingsTable;
  step_up_verifications: StepUpVerificationTable;
  approval_policies: ApprovalPolicyTable;
  request_questions: RequestQuestionTable;
  request_extensions: RequestExtensionTable;
  extension_approvals: ExtensionApprovalTable;
}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Queries that may run inside or outside a transaction take either. */
export type Queryable = Db | Tx;
