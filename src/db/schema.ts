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

export interface AuditHeadTable {
  chain: string;
  seq: number;
  hash: string;
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
}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Queries that may run inside or outside a transaction take either. */
export type Queryable = Db | Tx;
