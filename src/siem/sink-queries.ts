import type { ExpressionBuilder, Selectable } from "kysely";
import type { AuditSinkTable, Database } from "../db/schema.js";
import type { SinkFormat, SinkTls, SinkType } from "./sink-config.js";

/** Whose sink: a tenant's (`tenantId`, streaming `tenant:<id>`) or the provider's (`null`, `provider`). */
export type SinkOwner = string | null;

/** A sink as the API shows it: never its token, only whether it has one. */
export interface AuditSink {
  id: string;
  tenantId: string | null;
  chain: string;
  type: SinkType;
  url: string;
  format: SinkFormat;
  hasToken: boolean;
  tls: SinkTls | null;
  createdAt: string;
}

export interface SinkStatus {
  id: string;
  lastDeliveredSeq: number;
  /** Events of the chain not yet delivered (head seq minus the cursor). */
  lag: number;
  headSeq: number;
  lastError: string | null;
  lastErrorAt: string | null;
  lastDeliveredAt: string | null;
  /** Consecutive failed attempts; 0 while healthy. */
  failures: number;
  nextAttemptAt: string | null;
}

export function toAuditSink(row: Selectable<AuditSinkTable>): AuditSink {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    chain: row.chain,
    type: row.type,
    url: row.url,
    format: row.format,
    hasToken: row.token !== null,
    tls: row.tls ? (JSON.parse(row.tls) as SinkTls) : null,
    createdAt: row.created_at,
  };
}

export const sinkOwnedBy = (owner: SinkOwner) => (eb: ExpressionBuilder<Database, "audit_sinks">) =>
  owner === null ? eb("tenant_id", "is", null) : eb("tenant_id", "=", owner);
