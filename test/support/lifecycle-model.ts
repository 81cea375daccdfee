/**
 * A small reference model of the request lifecycle (SPEC sections 4 and 5), written from the spec
 * and independent of src/: per request its stored status, deadlines and approvals; the model
 * clock; and, from those, the status a reader must see and the answer the access check must give.
 * The model-based test (test/model-lifecycle.test.ts) drives the real app and this model with the
 * same random commands and compares them after every step.
 *
 * Each operation returns the HTTP answer the app must give (status and error code) and changes
 * the model only when the app must change too. Checks run in the order the use cases make them
 * (visibility, self-decision, bounds, role, state), because that order decides which refusal a
 * caller sees.
 */

export type Status =
  | "pending_manager"
  | "pending_customer"
  | "approved"
  | "rejected"
  | "denied"
  | "expired"
  | "canceled"
  | "revoked"
  | "completed";

export const TERMINAL: readonly Status[] = ["rejected", "denied", "expired", "canceled", "revoked", "completed"];
export const TERMINAL_OPERATIONS = TERMINAL.map((s) => `request.${s}`);

export type TenantKey = "A" | "B";
export type Level = "read" | "write";
export const SERVICES = ["mail", "files", "chat"] as const;
export type Service = (typeof SERVICES)[number];

/** Every actor the test uses, by the key the commands name them with. */
export const ACTORS = {
  engineer: { org: "provider", roles: ["engineer"] },
  engineer2: { org: "provider", roles: ["engineer"] },
  manager: { org: "provider", roles: ["manager"] },
  manager2: { org: "provider", roles: ["manager", "engineer"] },
  providerAdmin: { org: "provider", roles: ["provider_admin"] },
  aAdmin: { org: "A", roles: ["global_admin"] },
  aApprover: { org: "A", roles: ["lockbox_approver"] },
  aApprover2: { org: "A", roles: ["lockbox_approver"] },
  aAuditor: { org: "A", roles: ["auditor"] },
  bAdmin: { org: "B", roles: ["global_admin"] },
  bApprover: { org: "B", roles: ["lockbox_approver"] },
} as const satisfies Record<string, { org: "provider" | TenantKey; roles: readonly string[] }>;
export type ActorKey = keyof typeof ACTORS;

export const REQUESTERS = ["engineer", "engineer2", "manager2"] as const satisfies readonly ActorKey[];
export type RequesterKey = (typeof REQUESTERS)[number];
export const MANAGERS = ["manager", "manager2"] as const satisfies readonly ActorKey[];
export const TENANT_ACTORS = ["aAdmin", "aApprover", "aApprover2", "aAuditor", "bAdmin", "bApprover"] as const satisfies readonly ActorKey[];
export const PROVIDER_ACTORS = ["engineer", "engineer2", "manager", "manager2", "providerAdmin"] as const satisfies readonly ActorKey[];

export interface TenantModel {
  lockboxEnabled: boolean;
  requiredApprovals: number;
  approvalWindowMinutes: number;
  maxAccessMinutes: number;
  protectedServices: "all" | Service[];
  /** SPEC 17: emergency access by two provider people, where the tenant allows it. */
  breakGlass: { allowed: boolean; maxMinutes: number };
}

export interface ModelRequest {
  /** The real id, set once the app answered the create. */
  id: string;
  tenant: TenantKey;
  requester: RequesterKey;
  services: Service[];
  level: Level;
  requestedMinutes: number;
  /** The stored status: what a person or the sweeper last recorded. */
  stored: Status;
  decideBy: number;
  requiredApprovals: number | null;
  grantedMinutes: number | null;
  approvers: ActorKey[];
  accessEndsAt: number | null;
  /** SPEC 17: the scheduled start asked for, and where the window really opened. */
  startAt: number | null;
  accessStartsAt: number | null;
  extensions: ModelExtension[];
  /** SPEC 17: filed for a production incident; who broke the glass first; whether it was granted so. */
  incident: boolean;
  breakGlassFirst: ActorKey | null;
  breakGlass: boolean;
  /** Whether the terminal audit event has been written (a person's decision, or the sweeper). */
  terminalRecorded: boolean;
}

/** An extension of granted access (SPEC 17). `stored` is pending, approved or denied. */
export interface ModelExtension {
  id: string;
  minutes: number;
  stored: "pending" | "approved" | "denied";
  required: number;
  approvers: ActorKey[];
}

/** An auto-approval policy of tenant A (SPEC 17): the conditions the model varies. */
export interface ModelPolicy {
  services: Service[];
  level: Level;
  maxMinutes: number;
}

/** The furthest ahead a scheduled start may be. */
export const MAX_START_AHEAD_MINUTES = 7 * 24 * 60;

/** What the app must answer: an HTTP status and, for a refusal, the error code. */
export interface Expected {
  status: number;
  code?: string;
}

const ok: Expected = { status: 200 };
const conflict: Expected = { status: 409, code: "conflict" };
const notFound: Expected = { status: 404, code: "not_found" };
const forbidden: Expected = { status: 403, code: "forbidden" };
const selfDecision: Expected = { status: 403, code: "self_approval" };

const MINUTE = 60_000;
export const MANAGER_WINDOW_MINUTES = 720;

export class LifecycleModel {
  readonly requests: ModelRequest[] = [];
  readonly tenants: Record<TenantKey, TenantModel> = {
    A: { lockboxEnabled: true, requiredApprovals: 1, approvalWindowMinutes: 720, maxAccessMinutes: 240, protectedServices: "all", breakGlass: { allowed: true, maxMinutes: 30 } },
    B: { lockboxEnabled: false, requiredApprovals: 1, approvalWindowMinutes: 720, maxAccessMinutes: 240, protectedServices: "all", breakGlass: { allowed: false, maxMinutes: 60 } },
  };

  /** Tenant A's active approval policies, in the order they were created. */
  readonly policies: ModelPolicy[] = [];
  /** How many requests a policy approved (the app must have answered each the same). */
  autoApproved = 0;

  constructor(public now: number) {}

  advance(ms: number): void {
    this.now += ms;
  }

  /** The deadline that closes the stored status's window, if it has one. */
  closesAt(r: ModelRequest): number | null {
    if (r.stored === "pending_manager" || r.stored === "pending_customer") return r.decideBy;
    if (r.stored === "approved") return r.accessEndsAt;
    return null;
  }

  /** What a reader sees: time is enforced on read, whether or not the sweeper has run. */
  status(r: ModelRequest): Status {
    const end = this.closesAt(r);
    if (end === null || this.now < end) return r.stored;
    return r.stored === "approved" ? "completed" : "expired";
  }

  /** The terminal audit events the request must have: exactly one once it is recorded, else none. */
  expectedTerminalOperations(r: ModelRequest): string[] {
    return r.terminalRecorded ? [`request.${r.stored}`] : [];
  }

  /** The answer the access check must give (`write` includes `read`; the longest grant answers). */
  check(user: ActorKey, tenant: TenantKey, service: Service, level: Level): { allowed: boolean; expiresAt?: number; requestIds: string[] } {
    const matching = this.requests.filter(
      (r) =>
        r.requester === user &&
        r.tenant === tenant &&
        this.status(r) === "approved" &&
        this.now >= r.accessStartsAt! &&
        r.services.includes(service) &&
        (level === "read" || r.level === "write"),
    );
    if (matching.length === 0) return { allowed: false, requestIds: [] };
    const expiresAt = Math.max(...matching.map((r) => r.accessEndsAt!));
    return { allowed: true, expiresAt, requestIds: matching.filter((r) => r.accessEndsAt === expiresAt).map((r) => r.id) };
  }

  // --- the steps -------------------------------------------------------------------------------

  create(input: { requester: ActorKey; tenant: TenantKey; services: Service[]; level: Level; requestedMinutes: number; startInMinutes?: number; incident?: boolean }): Expected & { request?: ModelRequest } {
    const actor = ACTORS[input.requester];
    if (actor.org !== "provider" || !(actor.roles as readonly string[]).includes("engineer")) return forbidden;
    const start = input.startInMinutes;
    if (start !== undefined && (start < 0 || start > MAX_START_AHEAD_MINUTES)) return { status: 400, code: "invalid_request" };
    if (input.requestedMinutes > this.tenants[input.tenant].maxAccessMinutes) return { status: 400, code: "invalid_request" };
    const request: ModelRequest = {
      id: "",
      tenant: input.tenant,
      requester: input.requester as RequesterKey,
      services: [...new Set(input.services)],
      level: input.level,
      requestedMinutes: input.requestedMinutes,
      stored: "pending_manager",
      decideBy: this.now + MANAGER_WINDOW_MINUTES * MINUTE,
      requiredApprovals: null,
      grantedMinutes: null,
      approvers: [],
      accessEndsAt: null,
      startAt: start === undefined ? null : this.now + start * MINUTE,
      accessStartsAt: null,
      extensions: [],
      incident: input.incident ?? false,
      breakGlassFirst: null,
      breakGlass: false,
      terminalRecorded: false,
    };
    return { status: 201, request };
  }

  /** Adds the request the app created (after the real call gave its id). */
  add(request: ModelRequest): void {
    this.requests.push(request);
  }

  approve(r: ModelRequest, by: ActorKey, grantedMinutes?: number): Expected {
    const actor = ACTORS[by];
    if (actor.org !== "provider" && actor.org !== r.tenant) return notFound;
    if (by === r.requester) return selfDecision;
    if (grantedMinutes !== undefined && grantedMinutes > r.requestedMinutes) return { status: 400, code: "invalid_request" };
    const roles = actor.roles as readonly string[];
    if (actor.org === "provider") {
      if (!roles.includes("manager")) return forbidden;
      if (this.status(r) !== "pending_manager") return conflict;
      const tenant = this.tenants[r.tenant];
      if (this.needsCustomer(tenant, r.services)) {
        r.stored = "pending_customer";
        r.decideBy = this.now + tenant.approvalWindowMinutes * MINUTE;
        r.requiredApprovals = tenant.requiredApprovals;
        r.grantedMinutes = grantedMinutes ?? null;
        // A policy that covers what would be granted approves at the customer stage at once.
        const minutes = grantedMinutes ?? r.requestedMinutes;
        if (r.tenant === "A" && this.policies.some((p) => this.covers(p, r, minutes))) {
          this.grant(r, minutes);
          this.autoApproved += 1;
        }
      } else {
        this.grant(r, grantedMinutes ?? r.requestedMinutes);
      }
      return ok;
    }
    if (!isApprover(by)) return forbidden;
    if (this.status(r) !== "pending_customer") return conflict;
    if (r.approvers.includes(by)) return { status: 409, code: "already_decided" };
    r.approvers.push(by);
    if (grantedMinutes !== undefined && (r.grantedMinutes === null || r.grantedMinutes > grantedMinutes)) r.grantedMinutes = grantedMinutes;
    if (r.approvers.length >= (r.requiredApprovals ?? 1)) this.grant(r, r.grantedMinutes ?? r.requestedMinutes);
    return ok;
  }

  deny(r: ModelRequest, by: ActorKey): Expected {
    const actor = ACTORS[by];
    if (actor.org !== "provider" && actor.org !== r.tenant) return notFound;
    if (by === r.requester) return selfDecision;
    const provider = actor.org === "provider";
    if (provider ? !(actor.roles as readonly string[]).includes("manager") : !isApprover(by)) return forbidden;
    if (this.status(r) !== (provider ? "pending_manager" : "pending_customer")) return conflict;
    this.end(r, provider ? "rejected" : "denied");
    return ok;
  }

  cancel(r: ModelRequest, by: ActorKey): Expected {
    const actor = ACTORS[by];
    if (actor.org !== "provider" && actor.org !== r.tenant) return notFound;
    const may = actor.org === "provider" && (by === r.requester || (actor.roles as readonly string[]).includes("manager"));
    if (!may) return forbidden;
    const status = this.status(r);
    if (status !== "pending_manager" && status !== "pending_customer") return conflict;
    this.end(r, "canceled");
    return ok;
  }

  revoke(r: ModelRequest, by: ActorKey): Expected {
    const actor = ACTORS[by];
    if (actor.org !== "provider" && actor.org !== r.tenant) return notFound;
    const roles = actor.roles as readonly string[];
    const may = actor.org === "provider" ? roles.includes("manager") || roles.includes("provider_admin") : isApprover(by);
    if (!may) return forbidden;
    if (this.status(r) !== "approved") return conflict;
    this.end(r, "revoked");
    return ok;
  }

  complete(r: ModelRequest, by: ActorKey): Expected {
    const actor = ACTORS[by];
    if (actor.org !== "provider" && actor.org !== r.tenant) return notFound;
    if (by !== r.requester) return forbidden;
    if (this.status(r) !== "approved") return conflict;
    this.end(r, "completed");
    return ok;
  }

  /** The sweeper records every end the clock has made; returns how many requests it must move. */
  sweep(): number {
    let moved = 0;
    for (const r of this.requests) {
      const status = this.status(r);
      if (status !== r.stored) {
        r.stored = status;
        r.terminalRecorded = true;
        moved += 1;
      }
    }
    return moved;
  }

  /** Tenant A's global admin changes a setting; it applies to requests from their next step on. */
  /** Tenant A's global admin adds a policy; one broader than the tenant's cap is refused. */
  addPolicy(policy: ModelPolicy): Expected {
    if (policy.maxMinutes > this.tenants.A.maxAccessMinutes) return { status: 400, code: "invalid_request" };
    this.policies.push(policy);
    return { status: 201 };
  }

  private covers(p: ModelPolicy, r: ModelRequest, minutes: number): boolean {
    return r.services.every((s) => p.services.includes(s)) && (r.level === "read" || p.level === "write") && minutes <= p.maxMinutes;
  }

  setTenant(tenant: TenantKey, patch: Partial<TenantModel>): Expected {
    Object.assign(this.tenants[tenant], patch);
    return ok;
  }

  needsCustomer(tenant: TenantModel, services: readonly Service[]): boolean {
    if (!tenant.lockboxEnabled) return false;
    return tenant.protectedServices === "all" || services.some((s) => (tenant.protectedServices as Service[]).includes(s));
  }

  private grant(r: ModelRequest, minutes: number): void {
    r.stored = "approved";
    r.grantedMinutes = minutes;
    r.accessStartsAt = Math.max(this.now, r.startAt ?? 0);
    r.accessEndsAt = r.accessStartsAt + minutes * MINUTE;
  }

  /**
   * Break-glass (SPEC 17): a provider manager asks, a second, different manager or provider admin
   * confirms and access opens at once (not at a scheduled start) for at most the tenant's
   * breakGlass.maxMinutes. The first ask changes no status.
   */
  breakGlassStep(r: ModelRequest, by: ActorKey): Expected {
    const actor = ACTORS[by];
    if (actor.org !== "provider") return actor.org === r.tenant ? forbidden : notFound;
    const roles = actor.roles as readonly string[];
    if (!roles.includes("manager") && !roles.includes("provider_admin")) return forbidden;
    if (by === r.requester) return selfDecision;
    const tenant = this.tenants[r.tenant];
    if (!tenant.breakGlass.allowed) return { status: 403, code: "break_glass_not_allowed" };
    if (!r.incident) return { status: 409, code: "production_incident_required" };
    const open = this.status(r) === "pending_manager" || this.status(r) === "pending_customer";
    if (r.breakGlassFirst === null) {
      if (!roles.includes("manager")) return forbidden;
      if (!open) return conflict;
      r.breakGlassFirst = by;
      return ok;
    }
    if (r.breakGlassFirst === by) return { status: 409, code: "already_decided" };
    if (!open) return conflict;
    const minutes = Math.min(r.grantedMinutes ?? r.requestedMinutes, tenant.breakGlass.maxMinutes);
    r.stored = "approved";
    r.breakGlass = true;
    r.grantedMinutes = minutes;
    r.accessStartsAt = this.now;
    r.accessEndsAt = this.now + minutes * MINUTE;
    return ok;
  }

  /** What a reader sees of an extension: a pending one of access that is over reads as expired. */
  extensionStatus(r: ModelRequest, e: ModelExtension): ModelExtension["stored"] | "expired" {
    return e.stored === "pending" && this.status(r) !== "approved" ? "expired" : e.stored;
  }

  /** The requester asks for more time (SPEC 17). Returns the extension to add once the app gave its id. */
  extend(r: ModelRequest, by: ActorKey, minutes: number): Expected & { extension?: ModelExtension } {
    const actor = ACTORS[by];
    if (actor.org !== "provider" && actor.org !== r.tenant) return notFound;
    if (by !== r.requester) return forbidden;
    if (this.status(r) !== "approved") return conflict;
    const tenant = this.tenants[r.tenant];
    if (r.accessEndsAt! + minutes * MINUTE > r.accessStartsAt! + 2 * tenant.maxAccessMinutes * MINUTE) return { status: 400, code: "invalid_request" };
    const extension: ModelExtension = { id: "", minutes, stored: "pending", required: r.requiredApprovals ?? tenant.requiredApprovals, approvers: [] };
    return { status: 201, extension };
  }

  /** The customer's approvers decide an extension like a request. */
  decideExtension(r: ModelRequest, e: ModelExtension, by: ActorKey, verdict: "approve" | "deny"): Expected {
    const actor = ACTORS[by];
    if (actor.org !== "provider" && actor.org !== r.tenant) return notFound;
    if (by === r.requester) return selfDecision;
    if (actor.org === "provider" || !isApprover(by)) return forbidden;
    if (this.extensionStatus(r, e) !== "pending") return conflict;
    if (verdict === "deny") {
      e.stored = "denied";
      return ok;
    }
    if (e.approvers.includes(by)) return { status: 409, code: "already_decided" };
    if (e.approvers.length + 1 >= e.required) {
      const end = r.accessEndsAt! + e.minutes * MINUTE;
      if (end > r.accessStartsAt! + 2 * this.tenants[r.tenant].maxAccessMinutes * MINUTE) return conflict;
      r.accessEndsAt = end;
      e.stored = "approved";
    }
    e.approvers.push(by);
    return ok;
  }

  private end(r: ModelRequest, status: Status): void {
    r.stored = status;
    r.terminalRecorded = true;
  }
}

function isApprover(by: ActorKey): boolean {
  const roles = ACTORS[by].roles as readonly string[];
  return roles.includes("global_admin") || roles.includes("lockbox_approver");
}
