import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type AuditEvent, GENESIS_HASH, hashEvent, type UnsealedAuditEvent } from "../src/audit/audit-event.js";
import { requestStepOperations } from "../src/requests/request-lifecycle.js";
import { hecBody, syslogFrames } from "../src/siem/encode-batch.js";
import { classify, OCSF_VERSION, toOcsf } from "../src/siem/ocsf.js";
import { ocsfClassUids, ocsfSchemaVersion, validateOcsf } from "./support/ocsf-validate.js";

/** Every operation the catalog writes today, plus one it does not know yet. */
const operations: [string, Record<string, unknown>][] = [
  ...requestStepOperations.map((op) => [op, { requestId: "req-1", ticket: "CASE-1" }] as [string, Record<string, unknown>]),
  ["request.approved", { requestId: "req-1", ticket: "CASE-1", final: true, grantedMinutes: 60 }],
  ["request.manager_approved", { requestId: "req-1", ticket: "CASE-1", customerApproval: "not_required" }],
  ["request.token_issued", { requestId: "req-1", ticket: "CASE-1", kid: "k1" }],
  ["operator.read", { requestId: "req-1", operation: "read", target: "mailbox/1" }],
  ["operator.export_mailbox", { requestId: "req-1", operation: "export_mailbox", serviceCredential: "mail-gw" }],
  ["operator.delete", { requestId: "req-1", operation: "delete" }],
  ["operator.frobnicate", { requestId: "req-1", operation: "frobnicate" }],
  ["operator.denied", { requestId: "req-1", operation: "write", reason: "outside_window" }],
  ["user.signed_in", {}],
  ["user.sign_in_failed", { reason: "wrong_password" }],
  ["user.signed_out_everywhere", {}],
  ["user.created", { email: "a@example.test" }],
  ["user.roles_changed", { roles: ["auditor"] }],
  ["user.activated", {}],
  ["user.deactivated", {}],
  ["user.reactivated", {}],
  ["user.removed", {}],
  ["tenant.created", {}],
  ["tenant.settings_changed", { changes: {} }],
  ["token.created", {}],
  ["token.deleted", {}],
  ["service.created", {}],
  ["service_credential.created", {}],
  ["service_credential.deleted", {}],
  ["webhook.created", {}],
  ["webhook.deleted", {}],
  ["audit_sink.created", {}],
  ["audit_sink.deleted", {}],
  ["signing_key.rotated", {}],
  ["something.new_in_a_later_release", {}],
];

function eventFor(operation: string, details: Record<string, unknown>, seq: number): AuditEvent {
  const unsealed: UnsealedAuditEvent = {
    chain: "tenant:t-1",
    seq,
    id: `ev-${seq}`,
    at: "2026-01-05T09:00:00.123Z",
    operation,
    actor: { type: "user", id: "u-1", name: "Erin Engineer", ...(seq % 2 ? { ip: "203.0.113.7" } : {}) },
    target: operation.startsWith("request.") ? { type: "request", id: "req-1" } : { type: "user", id: "u-2" },
    details,
    prevHash: GENESIS_HASH,
  };
  return { ...unsealed, hash: hashEvent(unsealed) };
}

const context = { productVersion: "0.1.0", requester: (id: string) => (id === "req-1" ? { id: "u-eng", name: "Erin Engineer" } : undefined) };

describe("OCSF mapping", () => {
  test(`the fixture is ${ocsfSchemaVersion} and the mapper writes the same version`, () => {
    assert.equal(ocsfSchemaVersion, `OCSF ${OCSF_VERSION}`);
  });

  test("every operation of the catalog becomes a valid event of its class (required attributes and types)", () => {
    const used = new Set<number>();
    for (const [i, [op, details]] of operations.entries()) {
      const record = toOcsf(eventFor(op, details, i + 1), context);
      assert.deepEqual(validateOcsf(record), [], `${op}: ${JSON.stringify(record)}`);
      used.add(record.class_uid as number);
    }
    assert.deepEqual([...used].sort(), [...ocsfClassUids].sort(), "every class in the fixture is used and no other");
    // The validator can fail: a grant without its user, or with a string time, is refused.
    const grant = toOcsf(eventFor("request.token_issued", { requestId: "req-1" }, 1), context);
    assert.ok(validateOcsf({ ...grant, user: undefined }).some((p) => p.includes(".user: required")));
    assert.ok(validateOcsf({ ...grant, time: "2026-01-05" }).some((p) => p.includes(".time: expected timestamp_t")));
    assert.ok(validateOcsf({ ...grant, privileges: undefined }).some((p) => p.includes("exactly one of privileges, group")));
  });

  test("the table: lifecycle → 3004, grants → 3003, operator → 6003, sign-ins → 3002, accounts → 3001", () => {
    const uid = (op: string, details: Record<string, unknown> = {}) => classify(eventFor(op, details, 1)).classUid;
    for (const op of ["request.created", "request.manager_approved", "request.rejected", "request.denied", "request.canceled", "request.expired"]) {
      assert.equal(uid(op), 3004, op);
    }
    assert.equal(uid("request.approved", { final: false }), 3004, "an approval that is not the last changes the request only");
    assert.equal(uid("request.approved", { final: true }), 3003, "the last approval grants access");
    assert.equal(uid("request.manager_approved", { customerApproval: "not_required" }), 3003, "a manager grant without the customer");
    for (const op of ["request.token_issued", "request.revoked", "request.completed"]) assert.equal(uid(op), 3003, op);
    for (const op of ["operator.read", "operator.denied", "operator.anything"]) assert.equal(uid(op), 6003, op);
    for (const op of ["user.signed_in", "user.sign_in_failed", "user.signed_out_everywhere"]) assert.equal(uid(op), 3002, op);
    for (const op of ["user.created", "user.roles_changed", "user.deactivated"]) assert.equal(uid(op), 3001, op);
    assert.equal(uid("tenant.settings_changed"), 3004);
    const denied = toOcsf(eventFor("operator.denied", { operation: "write", reason: "outside_window" }, 2), context);
    assert.equal(denied.status_id, 2);
    assert.equal(denied.status_detail, "outside_window");
    const grant = toOcsf(eventFor("request.approved", { final: true, requestId: "req-1" }, 2), context);
    assert.deepEqual(grant.user, { uid: "u-eng", name: "Erin Engineer" }, "the grant names who receives access, not the approver");
    assert.equal(grant.type_uid, 300301);
  });

  test("the original event rides along under `unmapped` and re-verifies: its hash is the hash of the rest", () => {
    const event = eventFor("request.created", { requestId: "req-1" }, 7);
    const record = toOcsf(event, context);
    const { hash, ...rest } = record.unmapped as AuditEvent;
    assert.equal(hash, event.hash);
    assert.equal(hashEvent(rest), hash);
    assert.equal((record.metadata as { sequence: number }).sequence, 7);
    assert.equal(record.time, Date.parse(event.at));
  });

  test("HEC envelopes and RFC 5424 frames around the records", () => {
    const events = [eventFor("request.created", {}, 1), eventFor("operator.denied", { operation: "x" }, 2)];
    const records = events.map((e) => toOcsf(e, context));
    const hec = hecBody(events, records, "ocsf", "lockbox.example").split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(Object.keys(hec[0]), ["time", "host", "source", "sourcetype", "event"]);
    assert.equal(hec[0].time, Date.parse(events[0]!.at) / 1000);
    assert.equal(hec[0].sourcetype, "lockbox:ocsf");
    const frames = syslogFrames(events, records, "lockbox.example").toString("utf8");
    const first = /^(\d+) (<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) )/.exec(frames)!;
    assert.equal(first[3], "110", "facility 13 (log audit), severity 6 (informational)");
    assert.deepEqual(first.slice(4, 10), [events[0]!.at, "lockbox.example", "lockbox", "-", "request.created", "-"]);
    const length = Number(first[1]);
    const message = Buffer.from(frames).subarray(first[1]!.length + 1, first[1]!.length + 1 + length).toString("utf8");
    assert.ok(message.endsWith("}"), "the frame length is the message's byte length");
    assert.match(Buffer.from(frames).subarray(first[1]!.length + 1 + length).toString("utf8"), /^\d+ <109>1 /, "a refusal is a notice");
  });
});
