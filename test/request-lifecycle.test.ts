import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  canApply,
  effectiveStatus,
  type RequestAction,
  type RequestStatus,
  requestStatuses,
  terminalStatuses,
  transitions,
} from "../src/requests/request-lifecycle.js";

const start = new Date("2026-01-05T09:00:00.000Z");
const minutes = (m: number) => new Date(start.getTime() + m * 60_000);
const H12 = 12 * 60;
const H4 = 4 * 60;

/** A request in `status` whose current window closes 12 h (pending) or 4 h (approved) after start. */
function requestIn(status: RequestStatus) {
  return {
    status,
    decide_by: minutes(H12).toISOString(),
    access_ends_at: status === "approved" ? minutes(H4).toISOString() : null,
  };
}

// The whole table, spelled out: which actions each status allows while its window is open.
const allowedWhileOpen: Record<RequestStatus, RequestAction[]> = {
  pending_manager: ["manager_approve", "manager_grant", "reject", "cancel", "break_glass"],
  pending_customer: ["customer_approve", "customer_grant", "deny", "cancel", "auto_approve", "break_glass"],
  approved: ["revoke", "release"],
  rejected: [],
  denied: [],
  expired: [],
  canceled: [],
  revoked: [],
  completed: [],
};
// ... and which once it has closed.
const allowedWhenClosed: Record<RequestStatus, RequestAction[]> = {
  pending_manager: ["expire"],
  pending_customer: ["expire"],
  approved: ["finish"],
  rejected: [],
  denied: [],
  expired: [],
  canceled: [],
  revoked: [],
  completed: [],
};

const actions = Object.keys(transitions) as RequestAction[];

describe("request lifecycle table", () => {
  for (const status of requestStatuses) {
    for (const action of actions) {
      const open = allowedWhileOpen[status].includes(action);
      const closed = allowedWhenClosed[status].includes(action);
      test(`${status} + ${action}: ${open ? "allowed" : "refused"} while open, ${closed ? "allowed" : "refused"} when closed`, () => {
        const window = status === "approved" ? H4 : H12;
        assert.equal(canApply(action, requestIn(status), minutes(window - 1)), open);
        assert.equal(canApply(action, requestIn(status), minutes(window)), closed);
      });
    }
  }

  test("every terminal status allows nothing, ever", () => {
    for (const status of terminalStatuses) {
      for (const action of actions) {
        assert.equal(canApply(action, requestIn(status), minutes(0)), false);
        assert.equal(canApply(action, requestIn(status), minutes(100_000)), false);
      }
    }
  });

  test("each action leads where the spec says", () => {
    assert.deepEqual(
      Object.fromEntries(actions.map((a) => [a, transitions[a].to])),
      {
        manager_approve: "pending_customer",
        manager_grant: "approved",
        reject: "rejected",
        customer_approve: "pending_customer",
        customer_grant: "approved",
        deny: "denied",
        cancel: "canceled",
        expire: "expired",
        revoke: "revoked",
        release: "completed",
        finish: "completed",
        auto_approve: "approved",
        break_glass: "approved",
      },
    );
  });
});

describe("effective status at the edges of the 12-hour and 4-hour limits", () => {
  test("pending is pending one millisecond before decideBy and expired at decideBy", () => {
    for (const status of ["pending_manager", "pending_customer"] as const) {
      const r = requestIn(status);
      assert.equal(effectiveStatus(r, new Date(minutes(H12).getTime() - 1)), status);
      assert.equal(effectiveStatus(r, minutes(H12)), "expired");
      assert.equal(effectiveStatus(r, minutes(H12 + 600)), "expired");
    }
  });

  test("approved is approved one millisecond before accessEndsAt and completed at accessEndsAt", () => {
    const r = requestIn("approved");
    assert.equal(effectiveStatus(r, new Date(minutes(H4).getTime() - 1)), "approved");
    assert.equal(effectiveStatus(r, minutes(H4)), "completed");
  });

  test("terminal statuses never change with time", () => {
    for (const status of terminalStatuses) {
      assert.equal(effectiveStatus(requestIn(status), minutes(1_000_000)), status);
    }
  });
});
