import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, before, test } from "node:test";
import { type CliRun, type CliWorld, runLockbox, startCliWorld } from "./support/cli.js";
import type { TestApp } from "./support/test-app.js";
import { fileRequest, type World } from "./support/world.js";

/**
 * The client commands run as real subprocesses (`node --import tsx src/cli/main.ts …`) against
 * a live server on a real port in this process, so everything between the terminal and the
 * database is exercised: flags, HTTP, auth, the API, and what lands on stdout, stderr and disk.
 */
let t: TestApp;
let w: World;
let server: string;
let home: string;
let cli: CliWorld;

before(async () => {
  cli = await startCliWorld("lockbox-cli-");
  ({ t, w, server, home } = cli);
});
after(() => cli.close());

type Run = CliRun;

/** Runs the CLI with a clean environment: no inherited LOCKBOX_* variables, no colour, UTC. */
function lockbox(args: string[], env: Record<string, string> = {}, input?: string): Promise<Run> {
  return runLockbox(args, { home, env, input: input ?? "" });
}

/** As one person, through LOCKBOX_TOKEN and LOCKBOX_SERVER. */
const as = (token: string) => (args: string[]) => lockbox(args, { LOCKBOX_SERVER: server, LOCKBOX_TOKEN: token });

function json(run: Run): any {
  assert.equal(run.code, 0, `exit ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** An error is exactly one line on stderr, prefixed, with no stack trace and nothing on stdout. */
function oneLineError(run: Run, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, `expected exit ${code}, got ${run.code}: ${run.stderr}`);
  assert.equal(run.stdout, "");
  assert.match(run.stderr, /^lockbox: [^\n]+\n$/, `not one line: ${JSON.stringify(run.stderr)}`);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
  assert.match(run.stderr, pattern);
}

/** The column where each header starts must be where that column's value starts on every row. */
function assertAligned(output: string, header: string[], rowValues: string[]): void {
  const lines = output.trimEnd().split("\n");
  const head = lines[0]!;
  const row = lines.find((l) => l.startsWith(rowValues[0]!));
  assert.ok(row, `no row starting ${rowValues[0]} in\n${output}`);
  header.forEach((h, i) => {
    const at = head.indexOf(h);
    assert.ok(at >= 0, `header ${h} missing in ${head}`);
    assert.equal(row.slice(at, at + rowValues[i]!.length), rowValues[i], `column ${h} misaligned:\n${output}`);
  });
}

test("a request's whole lifecycle from the CLI: --json equals the API, tables and summaries read well", async () => {
  const engineer = as(w.engineer.token);
  const created = json(
    await engineer([
      "requests",
      "create",
      "--tenant",
      w.tenantA,
      "--ticket",
      "CASE-7",
      "--reason",
      "Mailbox search fails",
      "--services",
      "mail,files",
      "--access",
      "read",
      "--minutes",
      "45",
      "--json",
    ]),
  );
  assert.equal(created.status, "pending_manager");
  assert.deepEqual([created.ticket, created.services, created.accessLevel, created.requestedMinutes], ["CASE-7", ["mail", "files"], "read", 45]);
  const id: string = created.id;

  const [listJson, listTable, showJson, showText] = await Promise.all([
    engineer(["requests", "list", "--tenant", w.tenantA, "--ticket", "CASE-7", "--status", "pending_manager", "--json"]),
    engineer(["requests", "list", "--ticket", "CASE-7"]),
    engineer(["requests", "show", id, "--json"]),
    engineer(["requests", "show", id]),
  ]);
  const apiList = await t.request("GET", `/v1/requests?tenantId=${w.tenantA}&ticket=CASE-7&status=pending_manager`, w.engineer.as);
  assert.deepEqual(json(listJson), apiList.body);
  assert.deepEqual(json(showJson), (await t.request("GET", `/v1/requests/${id}`, w.engineer.as)).body);

  assert.equal(listTable.code, 0, listTable.stderr);
  assert.match(listTable.stdout, /^ID +STATUS +TICKET +REASON TYPE +TENANT +REQUESTER +SERVICES +ACCESS +DEADLINE\n/);
  assertAligned(
    listTable.stdout,
    ["ID", "STATUS", "TICKET", "REASON TYPE", "TENANT", "REQUESTER", "SERVICES", "ACCESS", "DEADLINE"],
    [id, "pending_manager", "CASE-7", "customer_initiated_support", w.tenantA, "Erin Engineer", "mail,files", "read 45m", "decide "],
  );
  assert.equal(listTable.stdout.trimEnd().split("\n").length, 2, "one request, one row");

  assert.equal(showText.code, 0, showText.stderr);
  const lines = showText.stdout.trimEnd().split("\n");
  const value = (label: string) => lines.find((l) => l.startsWith(`${label} `))?.slice(label.length).trim();
  assert.equal(value("Request"), id);
  assert.match(value("Status")!, /^pending_manager: waiting for a provider manager until 2026-01-05 21:00 UTC \((in |.* ago)/);
  assert.equal(value("Ticket"), "CASE-7");
  assert.equal(value("Reason"), "Mailbox search fails");
  assert.equal(value("Services"), "mail, files");
  assert.equal(value("Access"), "read for 45m");
  assert.equal(value("Requester"), `Erin Engineer <${w.engineer.user.email}>`);
  assert.match(value("Created")!, /^2026-01-05 09:00 UTC \(/);
  const valueColumns = new Set(lines.map((l) => l.search(/(?<=\S  +)\S/)));
  assert.equal(valueColumns.size, 1, `values not aligned:\n${showText.stdout}`);

  // Manager, then the customer's approver (shortening the access), each from the CLI.
  const managed = json(await as(w.manager.token)(["requests", "approve", id, "--comment", "ticket checked", "--json"]));
  assert.equal(managed.status, "pending_customer");
  assert.equal(managed.managerDecision.comment, "ticket checked");
  const approved = await as(w.a.approver.token)(["requests", "approve", id, "--minutes", "30"]);
  assert.equal(approved.code, 0, approved.stderr);
  assert.match(approved.stdout, new RegExp(`^Request ${id} is approved: access until 2026-01-05 09:30 UTC \\(`));
  assert.equal((await t.request("GET", `/v1/requests/${id}`, w.engineer.as)).body.grantedMinutes, 30);

  const [tokenJson, tokenPlain] = await Promise.all([engineer(["requests", "token", id, "--json"]), engineer(["requests", "token", id])]);
  const grant = json(tokenJson);
  assert.deepEqual(Object.keys(grant).sort(), ["expiresAt", "token"]);
  assert.equal(grant.expiresAt, "2026-01-05T09:30:00.000Z");
  assert.match(tokenPlain.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, "the plain form is the token alone, for $(…)");
  assert.match(tokenPlain.stderr, /^expires 2026-01-05 09:30 UTC/);

  const revoked = json(await as(w.a.approver.token)(["requests", "revoke", id, "--comment", "done", "--json"]));
  assert.equal(revoked.status, "revoked");
  // No token for revoked access: the 409 is one line, exit 1.
  oneLineError(await engineer(["requests", "token", id]), 1, /lockbox: .*(approved|revoked)/);
});

test("cancel, deny and complete from the CLI", async () => {
  const toCancel = await fileRequest(w, { ticket: "CASE-C" });
  const toDeny = await fileRequest(w, { ticket: "CASE-D" });
  const toComplete = await fileRequest(w, { tenantId: w.tenantB, ticket: "CASE-F" }); // lockbox off: the manager grants
  const granted = await t.request("POST", `/v1/requests/${toComplete}/approve`, w.manager.as, {});
  assert.equal(granted.body.status, "approved");
  const [canceled, rejected, completed] = await Promise.all([
    as(w.engineer.token)(["requests", "cancel", toCancel, "--comment", "filed by mistake", "--json"]),
    as(w.manager.token)(["requests", "deny", toDeny, "--comment", "no such case", "--json"]),
    as(w.engineer.token)(["requests", "complete", toComplete, "--json"]),
  ]);
  assert.equal(json(canceled).status, "canceled");
  assert.equal(json(rejected).status, "rejected");
  assert.equal(json(rejected).managerDecision.comment, "no such case");
  assert.equal(json(completed).status, "completed");
  assert.equal(json(completed).endedBy.id, w.engineer.user.id);
});

test("tenants list and settings get/set; the provider cannot change a tenant's settings", async () => {
  const admin = as(w.a.admin.token);
  const [list, get, setJson, badBool, providerSet, providerTable] = await Promise.all([
    admin(["tenants", "list", "--json"]),
    admin(["tenants", "settings", "get", w.tenantA, "--json"]),
    admin(["tenants", "settings", "set", w.tenantA, "--required-approvals", "2", "--notification-emails", "soc@alpha.test", "--json"]),
    admin(["tenants", "settings", "set", w.tenantA, "--lockbox-enabled", "maybe"]),
    as(w.providerAdmin.token)(["tenants", "settings", "set", w.tenantA, "--lockbox-enabled", "false"]),
    // NO_COLOR unset, but stdout is a pipe: still no colour codes.
    lockbox(["tenants", "list"], { LOCKBOX_SERVER: server, LOCKBOX_TOKEN: w.providerAdmin.token, NO_COLOR: "" }),
  ]);
  assert.deepEqual(json(list), (await t.request("GET", "/v1/tenants", w.a.admin.as)).body);
  assert.deepEqual(json(list).items.map((x: { id: string }) => x.id), [w.tenantA]);
  assert.equal(json(get).lockboxEnabled, true);
  const after = json(setJson);
  assert.equal(after.requiredApprovals, 2);
  assert.deepEqual(after.notificationEmails, ["soc@alpha.test"]);
  assert.deepEqual(after, (await t.request("GET", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as)).body);
  oneLineError(badBool, 2, /--lockbox-enabled.*'maybe'.*true or false/);
  oneLineError(providerSet, 1, /^lockbox: /);
  assert.equal((await t.request("GET", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as)).body.lockboxEnabled, true);
  assertAligned(providerTable.stdout, ["ID", "NAME"], [w.tenantB, "Beta"]);
  assert.ok(!providerTable.stdout.includes("\u001b["), "colour codes on a pipe");

  // A tenant user may leave out its tenant; the view labels rows with the flag names.
  const own = await admin(["tenants", "settings", "get"]);
  assert.equal(own.code, 0, own.stderr);
  assert.match(own.stdout, /^required-approvals +2$/m);
  assert.match(own.stdout, /^notification-emails +soc@alpha\.test$/m);
  // Back to one approver for the other tests.
  await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as, { requiredApprovals: 1 });
});

test("login saves a 0600 profile that later commands use; the token and password never print", async () => {
  const person = await t.user(["lockbox_approver"], w.tenantA, "Pat Approver");
  const config = path.join(home, "login-config");
  const env = { XDG_CONFIG_HOME: config };
  const login = await lockbox(["login", "--server", server, "--email", person.user.email], { ...env, LOCKBOX_PASSWORD: person.password });
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stdout, /Signed in to http:\/\/127\.0\.0\.1:\d+ as Pat Approver/);

  const file = path.join(config, "lockbox", "default.json");
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  const profile = JSON.parse(fs.readFileSync(file, "utf8"));
  assert.equal(profile.server, server);
  assert.equal(profile.email, person.user.email);
  assert.match(profile.token, /^lbx_/);
  for (const secret of [profile.token, person.password]) {
    assert.ok(!login.stdout.includes(secret) && !login.stderr.includes(secret), "a secret was printed");
    assert.ok(!t.logs.join("").includes(secret), "a secret was logged by the server");
  }
  const me = await t.request("GET", "/v1/me", { token: profile.token });
  assert.equal(me.body.user.id, person.user.id);

  // No LOCKBOX_SERVER, no LOCKBOX_TOKEN: the profile supplies both.
  const list = await lockbox(["requests", "list", "--json"], env);
  assert.ok(Array.isArray(json(list).items));
  // Pointed at another server, the saved token is not sent: no credentials.
  oneLineError(await lockbox(["requests", "list", "--server", "http://127.0.0.2:9"], env), 3, /no credentials for http:\/\/127\.0\.0\.2:9/);

  // A second profile, the password piped in; a wrong password is exit 3 and one line.
  const [piped, wrong] = await Promise.all([
    lockbox(["login", "--server", server, "--email", person.user.email, "--password-stdin", "--profile", "work", "--json"], env, `${person.password}\n`),
    lockbox(["login", "--server", server, "--email", person.user.email, "--profile", "bad"], { ...env, LOCKBOX_PASSWORD: "not the password at all" }),
  ]);
  assert.equal(json(piped).user.id, person.user.id);
  assert.ok(!piped.stdout.includes("lbx_"));
  assert.ok(fs.existsSync(path.join(config, "lockbox", "work.json")));
  oneLineError(wrong, 3, /Wrong email or password/);
  assert.ok(!fs.existsSync(path.join(config, "lockbox", "bad.json")));

  // logout deletes the token on the server and the file here.
  const logout = await lockbox(["logout"], env);
  assert.equal(logout.code, 0, logout.stderr);
  assert.ok(!fs.existsSync(file));
  assert.equal((await t.request("GET", "/v1/me", { token: profile.token })).status, 401);
});

test("audit search and export; the exported file verifies with `lockbox audit verify`", async () => {
  const auditor = as(w.a.auditor.token);
  const out = path.join(home, "tenant-a.jsonl");
  const [searchJson, searchTable, exported, csv] = await Promise.all([
    auditor(["audit", "search", "--limit", "5", "--json"]),
    auditor(["audit", "search", "--operation", "request.created", "--limit", "3"]),
    auditor(["audit", "export", "--chain", `tenant:${w.tenantA}`, "--format", "jsonl", "--output", out]),
    auditor(["audit", "export", "--format", "csv"]),
  ]);
  assert.deepEqual(json(searchJson), (await t.request("GET", "/v1/audit?limit=5", w.a.auditor.as)).body);
  assert.equal(searchTable.code, 0, searchTable.stderr);
  assert.match(searchTable.stdout, /^SEQ +AT +OPERATION +ACTOR +TARGET +DETAILS\n/);
  const rows = searchTable.stdout.trimEnd().split("\n").slice(1);
  assert.equal(rows.length, 3);
  for (const row of rows) assert.match(row, /^\d+ +2026-01-05 \d\d:\d\d UTC +request\.created +\S/);

  assert.equal(exported.code, 0, exported.stderr);
  const api = await t.request("GET", `/v1/audit/export?chain=tenant:${w.tenantA}&format=jsonl`, w.a.auditor.as);
  const file = fs.readFileSync(out, "utf8");
  assert.equal(file, api.body, "the file is the API's export, byte for byte");
  const events = file.trimEnd().split("\n").length;
  assert.ok(events > 10);
  assert.match(exported.stdout, new RegExp(`^Exported ${events} events \\(\\d+ bytes\\) of tenant:${w.tenantA} to `));
  assert.ok(!fs.existsSync(`${out}.partial`));
  assert.match(csv.stdout, /^chain,seq,id,at,operation,/);
  assert.equal(csv.stdout.trimEnd().split("\n").length, events + 1);

  const verified = await lockbox(["audit", "verify", out]);
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, new RegExp(`^Verified ${events} events of chain tenant:${w.tenantA} \\(seq 1–${events}\\)`));
  // And the same file with one event altered does not.
  const tampered = path.join(home, "tampered.jsonl");
  fs.writeFileSync(tampered, file.replace('"request.created"', '"request.canceled"'));
  oneLineError(await lockbox(["audit", "verify", tampered]), 1, /chain broken at seq \d+/);

  // Another tenant's chain is 404 for this auditor, and no file is left behind.
  const foreign = path.join(home, "foreign.jsonl");
  oneLineError(await auditor(["audit", "export", "--tenant", w.tenantB, "--output", foreign]), 1, /Chain not found/);
  assert.ok(!fs.existsSync(foreign) && !fs.existsSync(`${foreign}.partial`));
});

test("error paths: unknown id, bad flag values, API refusals, no credentials, server down", async () => {
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const downPort = (closed.address() as net.AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const engineer = as(w.engineer.token);
  const create = ["requests", "create", "--tenant", w.tenantA, "--ticket", "CASE-E", "--reason", "r", "--services", "mail"];

  const [unknown, badMinutes, badAccess, tooLong, missing, noCreds, badToken, down, unknownFlag, help] = await Promise.all([
    engineer(["requests", "show", "no-such-request"]),
    engineer([...create, "--minutes", "abc"]),
    engineer([...create, "--minutes", "30", "--access", "admin"]),
    engineer([...create, "--minutes", "500"]),
    engineer(["requests", "create", "--tenant", w.tenantA]),
    lockbox(["requests", "list"], { LOCKBOX_SERVER: server }),
    lockbox(["requests", "list"], { LOCKBOX_SERVER: server, LOCKBOX_TOKEN: "lbx_not-a-real-token" }),
    lockbox(["requests", "list"], { LOCKBOX_SERVER: `http://127.0.0.1:${downPort}`, LOCKBOX_TOKEN: w.engineer.token }),
    engineer(["requests", "list", "--stauts", "approved"]),
    lockbox(["requests", "approve", "--help"]),
  ]);
  oneLineError(unknown, 1, /^lockbox: Request no-such-request not found\n$/);
  oneLineError(badMinutes, 2, /--minutes.*'abc'.*whole number/);
  oneLineError(badAccess, 2, /--access.*'admin'.*read, write/);
  oneLineError(tooLong, 1, /^lockbox: requestedMinutes: this tenant allows at most 240 minutes\n$/);
  // --ticket is optional since reason types (SPEC 17): the first missing required option is --reason.
  oneLineError(missing, 2, /required option '--reason/);
  oneLineError(noCreds, 3, /no credentials for http:\/\/127\.0\.0\.1:\d+.*lockbox login.*LOCKBOX_TOKEN/);
  oneLineError(badToken, 3, /Invalid or expired token.*lockbox login/);
  oneLineError(down, 3, new RegExp(`^lockbox: cannot reach http://127\\.0\\.0\\.1:${downPort}: connection refused\\n$`));
  oneLineError(unknownFlag, 2, /unknown option '--stauts'.*--status/);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--minutes <n>/);
  assert.match(help.stdout, /Examples?:\n {2}\$ lockbox requests approve/);
  // Nothing was filed by the refused creates.
  assert.equal((await t.request("GET", "/v1/requests?ticket=CASE-E", w.engineer.as)).body.items.length, 0);
});
