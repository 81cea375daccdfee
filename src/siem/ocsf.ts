import type { AuditEvent } from "../audit/audit-event.js";

/**
 * Lockbox audit events as OCSF 1.8.0 events (docs/siem.md has the table). Every operation of the
 * catalog maps to a class; operations added later fall back by family (`user.*`, `operator.*`)
 * or to Entity Management with an activity read from the verb at the end of the name, so a new
 * operation is never dropped. The original event, with `seq`, `prevHash` and `hash`, is kept
 * whole under `unmapped`, so a SIEM-side job can re-verify the chain from OCSF records alone.
 *
 * Required attributes and types are checked against the class definitions in
 * test/siem-ocsf-1.8.0.json (extracted from ocsf/ocsf-schema at v1.8.0) by test/siem-ocsf.test.ts.
 */
export const OCSF_VERSION = "1.8.0";

const IAM = { category_uid: 3, category_name: "Identity & Access Management" };
const APPLICATION = { category_uid: 6, category_name: "Application Activity" };
export const ocsfClasses = {
  3001: { class_name: "Account Change", ...IAM },
  3002: { class_name: "Authentication", ...IAM },
  3003: { class_name: "Authorize Session", ...IAM },
  3004: { class_name: "Entity Management", ...IAM },
  6003: { class_name: "API Activity", ...APPLICATION },
} as const;
export type OcsfClassUid = keyof typeof ocsfClasses;

export interface Classification {
  classUid: OcsfClassUid;
  activityId: number;
  activityName: string;
  /** 1 success, 2 failure; left out where the event states no outcome. */
  statusId?: 1 | 2;
  severityId: 1 | 2 | 3;
}

/** Who a grant was given to, looked up by the caller for events that name a request. */
export interface OcsfContext {
  productVersion: string;
  requester?: (requestId: string) => { id: string; name: string } | undefined;
}

const entityActivity = (verb: string): [number, string] => {
  if (/(^|_)(created|added|issued)$/.test(verb)) return [1, "Create"];
  if (/(^|_)(deleted|removed|purged)$/.test(verb)) return [4, "Delete"];
  if (/(^|_)(changed|updated|rotated|set|reset)$/.test(verb)) return [3, "Update"];
  if (/(^|_)(activated|reactivated|enabled)$/.test(verb)) return [10, "Activate"];
  if (/(^|_)(deactivated|disabled)$/.test(verb)) return [11, "Deactivate"];
  return [99, verb];
};

const apiActivity = (op: string): [number, string] => {
  if (/^(read|get|list|search|view|query|export|download|open|show)/.test(op)) return [2, "Read"];
  if (/^(create|add|insert|upload|import|new)/.test(op)) return [1, "Create"];
  if (/^(delete|remove|purge|erase|drop)/.test(op)) return [4, "Delete"];
  if (/^(update|write|modify|edit|set|change|patch|move|rename)/.test(op)) return [3, "Update"];
  return [99, op];
};

/** The class and activity of one operation (the table in docs/siem.md). */
export function classify(event: AuditEvent): Classification {
  const op = event.operation;
  const [family, verb = ""] = [op.slice(0, op.indexOf(".")), op.slice(op.indexOf(".") + 1)];
  const d = event.details;
  switch (op) {
    // Grants: the moment access is given, the token that carries it, and its end.
    case "request.approved":
      return d.final === true
        ? { classUid: 3003, activityId: 1, activityName: "Assign Privileges", statusId: 1, severityId: 1 }
        : { classUid: 3004, activityId: 3, activityName: "Update", statusId: 1, severityId: 1 };
    case "request.manager_approved":
      return d.customerApproval === "not_required"
        ? { classUid: 3003, activityId: 1, activityName: "Assign Privileges", statusId: 1, severityId: 1 }
        : { classUid: 3004, activityId: 3, activityName: "Update", statusId: 1, severityId: 1 };
    case "request.token_issued":
      return { classUid: 3003, activityId: 1, activityName: "Assign Privileges", statusId: 1, severityId: 1 };
    case "request.revoked":
      return { classUid: 3003, activityId: 99, activityName: "Revoke Privileges", statusId: 1, severityId: 2 };
    case "request.completed":
      return { classUid: 3003, activityId: 99, activityName: "Release Privileges", statusId: 1, severityId: 1 };
    case "request.created":
      return { classUid: 3004, activityId: 1, activityName: "Create", statusId: 1, severityId: 1 };
    case "operator.denied": {
      const [id, name] = apiActivity(String(d.operation ?? ""));
      return { classUid: 6003, activityId: id, activityName: name, statusId: 2, severityId: 3 };
    }
    case "user.signed_in":
      return { classUid: 3002, activityId: 1, activityName: "Logon", statusId: 1, severityId: 1 };
    case "user.sign_in_failed":
      return { classUid: 3002, activityId: 1, activityName: "Logon", statusId: 2, severityId: 2 };
    case "user.signed_out_everywhere":
      return { classUid: 3002, activityId: 2, activityName: "Logoff", statusId: 1, severityId: 1 };
    case "user.created":
      return { classUid: 3001, activityId: 1, activityName: "Create", statusId: 1, severityId: 1 };
    case "user.activated":
    case "user.reactivated":
      return { classUid: 3001, activityId: 2, activityName: "Enable", statusId: 1, severityId: 1 };
    case "user.deactivated":
      return { classUid: 3001, activityId: 5, activityName: "Disable", statusId: 1, severityId: 1 };
    case "user.removed":
      return { classUid: 3001, activityId: 6, activityName: "Delete", statusId: 1, severityId: 1 };
    case "user.password_reset":
      return { classUid: 3001, activityId: 4, activityName: "Password Reset", statusId: 1, severityId: 1 };
  }
  if (family === "request") return { classUid: 3004, activityId: 3, activityName: "Update", statusId: 1, severityId: 1 };
  if (family === "operator") {
    const [id, name] = apiActivity(verb);
    return { classUid: 6003, activityId: id, activityName: name, statusId: 1, severityId: 1 };
  }
  if (family === "user") return { classUid: 3001, activityId: 99, activityName: verb, statusId: 1, severityId: 1 };
  const [id, name] = entityActivity(verb);
  return { classUid: 3004, activityId: id, activityName: name, statusId: 1, severityId: 1 };
}

const severityName = { 1: "Informational", 2: "Low", 3: "Medium" } as const;
const statusName = { 1: "Success", 2: "Failure" } as const;
const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);

/** The request an event is about, if any: its target or `details.requestId`. */
export function requestIdOf(event: AuditEvent): string | undefined {
  return event.target.type === "request" ? event.target.id : str(event.details.requestId);
}

export function toOcsf(event: AuditEvent, context: OcsfContext): Record<string, unknown> {
  const c = classify(event);
  const cls = ocsfClasses[c.classUid];
  const actorUser = { uid: event.actor.id, name: event.actor.name, type_id: event.actor.type === "user" ? 1 : 99, type: event.actor.type === "user" ? "User" : event.actor.type };
  const srcEndpoint = event.actor.ip ? { ip: event.actor.ip } : { svc_name: event.actor.type === "user" ? "lockbox" : event.actor.name };
  const tenantUid = event.chain.startsWith("tenant:") ? event.chain.slice("tenant:".length) : undefined;
  const out: Record<string, unknown> = {
    class_uid: c.classUid,
    class_name: cls.class_name,
    category_uid: cls.category_uid,
    category_name: cls.category_name,
    activity_id: c.activityId,
    activity_name: c.activityName,
    type_uid: c.classUid * 100 + c.activityId,
    type_name: `${cls.class_name}: ${c.activityName}`,
    severity_id: c.severityId,
    severity: severityName[c.severityId],
    time: Date.parse(event.at),
    message: `${event.operation} ${event.target.type} ${event.target.id} by ${event.actor.name}`,
    metadata: {
      version: OCSF_VERSION,
      product: { name: "Lockbox", vendor_name: "Lockbox", version: context.productVersion },
      uid: event.id,
      event_code: event.operation,
      log_name: event.chain,
      sequence: event.seq,
      original_time: event.at,
      ...(tenantUid ? { tenant_uid: tenantUid } : {}),
    },
    actor: { user: actorUser },
    src_endpoint: srcEndpoint,
  };
  if (c.statusId) Object.assign(out, { status_id: c.statusId, status: statusName[c.statusId] });
  const reason = str(event.details.reason);
  if (reason) out.status_detail = reason;
  const requestId = requestIdOf(event);
  const requester = requestId ? context.requester?.(requestId) : undefined;
  switch (c.classUid) {
    case 3001:
      out.user = { uid: event.target.id, ...(str(event.details.email) ? { email_addr: str(event.details.email) } : {}) };
      break;
    case 3002:
      out.user = { uid: event.actor.id, name: event.actor.name };
      out.service = { name: "Lockbox" };
      break;
    case 3003: {
      // The privileges go to the requester, whoever decided; the request is the session.
      out.user = requester ? { uid: requester.id, name: requester.name } : { uid: event.actor.id, name: event.actor.name };
      const services = Array.isArray(event.details.services) ? event.details.services.map(String) : [];
      out.privileges = services.length ? services.map((s) => `lockbox:${s}`) : [`lockbox:request:${requestId ?? event.target.id}`];
      out.session = { uid: requestId ?? event.target.id };
      break;
    }
    case 3004:
      out.entity = { uid: event.target.id, name: str(event.details.ticket) ?? event.target.id, type: event.target.type };
      if (str(event.details.comment)) out.comment = str(event.details.comment);
      break;
    case 6003:
      out.api = {
        operation: str(event.details.operation) ?? event.operation.slice("operator.".length),
        service: { name: str(event.details.service) ?? str(event.details.serviceCredential) ?? "unknown" },
      };
      out.resources = [{ uid: event.target.id, type: event.target.type }];
      break;
  }
  out.unmapped = event;
  return out;
}
