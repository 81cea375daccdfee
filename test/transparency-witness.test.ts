import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { appendAudit } from "../src/audit/append-audit.js";
import { tenantChain } from "../src/audit/audit-event.js";
import { createCheckpoints } from "../src/audit/checkpoints.js";
import { loadLogSigner, originOf } from "../src/audit/log-key.js";
import { consistencyProof, MemoryTree } from "../src/audit/merkle.js";
import { canonicalEvent, proveConsistency } from "../src/audit/merkle-store.js";
import { formatCheckpoint, openNote, parseCheckpoint, parseNote, parseVerifierKey, signNote } from "../src/audit/notes.js";
import { parseWitnesses, sendToWitnesses } from "../src/audit/witness-client.js";
import { type WitnessServer, witnessServe } from "../src/cli/witness.js";
import { exportChain } from "./support/chains.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, type World } from "./support/world.js";

const run = promisify(execFile);
let t: TestApp;
let w: World;
let chain: string;
let dir: string;
let witness: WitnessServer;
let witnessKey: string;
let url: string;
const witnessLog: string[] = [];

before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  chain = tenantChain(w.tenantA);
  dir = fs.mkdtempSync(path.join(t.database.dataDir, "witness-"));
  await filler(10);
});
after(async () => {
  await witness?.close();
  await t.close();
});

async function filler(n: number) {
  await t.app.deps.db.transaction().execute(async (trx) => {
    for (let i = 0; i < n; i++) {
      await appendAudit(trx, { chain, at: t.clock.now(), operation: "test.filler", actor: { type: "system", id: "t", name: "t" }, target: { type: "t", id: String(i) } });
    }
  });
}

/** One checkpointer run that sends the new checkpoints to our witness, as LOCKBOX_WITNESSES would. */
const checkpointWithWitness = () => createCheckpoints(t.app.deps, (notes) => sendToWitnesses(t.app.deps, parseWitnesses(`${witnessKey}@${url}`), notes));
const latest = async () => (await t.request("GET", `/v1/audit/checkpoint?chain=${encodeURIComponent(chain)}`, w.a.auditor.as)).body as string;
const post = (body: string) => fetch(`${url}/add-checkpoint`, { method: "POST", body });

async function forged(leaves: Buffer[]) {
  const tree = new MemoryTree();
  for (const l of leaves) tree.append(l);
  const signer = await loadLogSigner(t.app.deps.db, t.app.deps.config);
  return { tree, note: signNote(formatCheckpoint({ origin: originOf(t.app.deps.config, chain), size: tree.size, root: tree.root() }), signer) };
}

describe("witnesses (C2SP tlog-witness)", () => {
  test("lockbox witness keygen writes a 0600 key file and prints a 0x04 verifier key", async () => {
    const keyFile = path.join(dir, "witness.key");
    const { stdout } = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "witness", "keygen", "--name", "witness.customer.example/w1", "--out", keyFile]);
    witnessKey = stdout.trim();
    const key = parseVerifierKey(witnessKey);
    assert.equal(key.type, 4);
    assert.equal(key.name, "witness.customer.example/w1");
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    await assert.rejects(run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "witness", "keygen", "--name", "x/y", "--out", keyFile]), /refusing to overwrite/);

    const logKey = ((await t.request("GET", "/v1/audit/log-key", null)).body as string).trim();
    witness = await witnessServe(
      { key: keyFile, logs: [`${originOf(t.app.deps.config, chain)}=${logKey}`], port: 0, state: path.join(dir, "witness-state.json") },
      (line) => witnessLog.push(line),
    );
    url = `http://127.0.0.1:${witness.port}`;
  });

  test("each new checkpoint goes to the witness with a consistency proof; its cosignature is served with the checkpoint", async () => {
    await checkpointWithWitness();
    const first = await latest();
    const key = parseVerifierKey(witnessKey);
    assert.equal(parseNote(first).signatures.length, 2);
    assert.deepEqual(openNote(first, [key]).signedBy, [key], "the witness's cosignature verifies");

    await filler(7);
    t.clock.advanceMinutes(6);
    await checkpointWithWitness();
    const second = await latest();
    assert.equal(parseCheckpoint(parseNote(second).text).size, parseCheckpoint(parseNote(first).text).size + 7);
    assert.deepEqual(openNote(second, [key]).signedBy, [key]);
    const state = JSON.parse(fs.readFileSync(path.join(dir, "witness-state.json"), "utf8"));
    assert.equal(state[originOf(t.app.deps.config, chain)].size, parseCheckpoint(parseNote(second).text).size);
  });

  test("the witness refuses a forked history (422), a wrong old size (409 with its size), a bad signature (403), an unknown log (404)", async () => {
    const honest = await latest();
    const size = parseCheckpoint(parseNote(honest).text).size;
    // A history with event 2 rewritten and one more event, signed with the log's real key.
    const leaves = (await exportChain(t, chain))
      .trim()
      .split("\n")
      .map((l) => {
        const { hash: _h, ...e } = JSON.parse(l);
        return Buffer.from(canonicalEvent(e.seq === 2 ? { ...e, details: { rewritten: true } } : e));
      });
    const fork = await forged([...leaves, Buffer.from("one more")]);
    const proof = consistencyProof(size, size + 1, fork.tree.get).map((h) => `${h.toString("base64")}\n`).join("");
    const refused = await post(`old ${size}\n${proof}\n${fork.note}`);
    assert.equal(refused.status, 422);

    const stale = await post(`old 3\n${(await proveConsistency(t.app.deps.db, chain, 3, size)).map((h) => `${h.toString("base64")}\n`).join("")}\n${honest}`);
    assert.equal(stale.status, 409);
    assert.equal(stale.headers.get("content-type"), "text/x.tlog.size");
    assert.equal(await stale.text(), `${size}\n`);

    const sig = parseNote(honest).signatures[0]!;
    const bent = Buffer.from(sig.line.trim().split(" ").at(-1)!, "base64");
    bent[10] = bent[10]! ^ 1;
    const badSig = `${parseNote(honest).text}\n\u2014 ${sig.name} ${bent.toString("base64")}\n`;
    assert.equal((await post(`old ${size}\n\n${badSig}`)).status, 403);

    const other = await loadLogSigner(t.app.deps.db, t.app.deps.config);
    const unknown = signNote(formatCheckpoint({ origin: "lockbox.test/audit/tenant/someone-else", size: 1, root: Buffer.alloc(32) }), other);
    assert.equal((await post(`old 0\n\n${unknown}`)).status, 404);
    assert.equal((await post(`old ${size + 5}\n\n${honest}`)).status, 400);
    assert.equal((await post("nonsense")).status, 400);

    // None of it moved the witness: the honest log still gets cosigned from where it was.
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "witness-state.json"), "utf8"))[originOf(t.app.deps.config, chain)].size, size);
    assert.equal((await post(`old ${size}\n\n${honest}`)).status, 200);
  });
});
