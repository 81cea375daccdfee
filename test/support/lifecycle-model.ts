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
  /** Whether the terminal audit event has been written (a person's decision, or the sweeper). */
  terminalRecorded: boolean;
}

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
    A: { lockboxEnabled: true, requiredApprovals: 1, approvalWindowMinutes: 720, maxAccessMinutes: 240, protectedServices: "all" },
    B: { lockboxEnabled: false, requiredApprovals: 1, approvalWindowMinutes: 720, maxAccessMinutes: 240, protectedServices: "all" },
  };

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
        r.services.includes(service) &&
        (level === "read" || r.level === "write"),
    );
    if (matching.length === 0) return { allowed: false, requestIds: [] };
    const expiresAt = Math.max(...matching.map((r) => r.accessEndsAt!));
    return { allowed: true, expiresAt, requestIds: matching.filter((r) => r.accessEndsAt === expiresAt).map((r) => r.id) };
  }

  // --- the steps -------------------------------------------------------------------------------

  create(input: { requester: ActorKey; tenant: TenantKey; services: Service[]; level: Level; requestedMinutes: number }): Expected & { request?: ModelRequest } {
    const actor = ACTORS[input.requester];
    if (actor.org !== "provider" || !(actor.roles as readonly string[]).includes("engineer")) return forbidden;
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
    r.accessEndsAt = this.now + minutes * MINUTE;
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
