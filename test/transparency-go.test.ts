import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { appendAudit } from "../src/audit/append-audit.js";
import { tenantChain } from "../src/audit/audit-event.js";
import { canonicalEvent } from "../src/audit/merkle-store.js";
import { cosignatureLine, makeSigner, parseCheckpoint, parseNote, KEY_TYPE_COSIGNATURE_V1 } from "../src/audit/notes.js";
import { exportChain } from "./support/chains.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, type World } from "./support/world.js";

// Go's reference implementations (golang.org/x/mod/sumdb/note and …/tlog, Debian's
// golang-golang-x-mod-dev) must open Lockbox's checkpoints and accept its proofs, and build the
// very same proofs from the leaves. Offline: GOPATH mode over Debian's source tree.
const GOPATH = "/usr/share/gocode";
const hasGo = spawnSync("go", ["version"]).status === 0;
const hasMod = fs.existsSync(path.join(GOPATH, "src/golang.org/x/mod/sumdb/note/note.go"));

const program = `package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type input struct {
	Vkey      string   \`json:"vkey"\`
	Note      string   \`json:"note"\`
	Leaves    []string \`json:"leaves"\`
	Inclusion []struct {
		Index int64    \`json:"index"\`
		Size  int64    \`json:"size"\`
		Proof []string \`json:"proof"\`
	} \`json:"inclusion"\`
	Consistency []struct {
		From  int64    \`json:"from"\`
		To    int64    \`json:"to"\`
		Proof []string \`json:"proof"\`
	} \`json:"consistency"\`
}

func hashes(list []string) []tlog.Hash {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != 32 {
			fail("bad hash %q", s)
		}
		copy(out[i][:], b)
	}
	return out
}

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\\n", a...)
	os.Exit(1)
}

func main() {
	var in input
	raw, _ := os.ReadFile(os.Args[1])
	if err := json.Unmarshal(raw, &in); err != nil {
		fail("input: %v", err)
	}
	v, err := note.NewVerifier(in.Vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	n, err := note.Open([]byte(in.Note), note.VerifierList(v))
	if err != nil {
		fail("note.Open: %v", err)
	}
	lines := strings.Split(n.Text, "\\n")
	size, _ := strconv.ParseInt(lines[1], 10, 64)
	root := hashes([]string{lines[2]})[0]

	// Go builds its own tree from the leaf data and its own proofs.
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	recordHashes := make([]tlog.Hash, len(in.Leaves))
	for i, l := range in.Leaves {
		data, _ := base64.StdEncoding.DecodeString(l)
		recordHashes[i] = tlog.RecordHash(data)
		hs, err := tlog.StoredHashes(int64(i), data, reader)
		if err != nil {
			fail("StoredHashes: %v", err)
		}
		stored = append(stored, hs...)
	}
	th, _ := tlog.TreeHash(size, reader)
	if th != root {
		fail("root of %d: Go computes %v, the checkpoint says %v", size, th, root)
	}
	type proofOut struct {
		Kind  string   \`json:"kind"\`
		A     int64    \`json:"a"\`
		B     int64    \`json:"b"\`
		Proof []string \`json:"proof"\`
	}
	var out []proofOut
	str := func(p []tlog.Hash) []string {
		s := make([]string, len(p))
		for i, h := range p {
			s[i] = base64.StdEncoding.EncodeToString(h[:])
		}
		return s
	}
	for _, c := range in.Inclusion {
		rootAt, _ := tlog.TreeHash(c.Size, reader)
		if err := tlog.CheckRecord(hashes(c.Proof), c.Size, rootAt, c.Index, recordHashes[c.Index]); err != nil {
			fail("CheckRecord(%d in %d): %v", c.Index, c.Size, err)
		}
		mine, _ := tlog.ProveRecord(c.Size, c.Index, reader)
		out = append(out, proofOut{"inclusion", c.Index, c.Size, str(mine)})
	}
	for _, c := range in.Consistency {
		oldRoot, _ := tlog.TreeHash(c.From, reader)
		newRoot, _ := tlog.TreeHash(c.To, reader)
		if err := tlog.CheckTree(hashes(c.Proof), c.To, newRoot, c.From, oldRoot); err != nil {
			fail("CheckTree(%d → %d): %v", c.From, c.To, err)
		}
		mine, _ := tlog.ProveTree(c.To, c.From, reader)
		out = append(out, proofOut{"consistency", c.From, c.To, str(mine)})
	}
	// A note changed by one byte must not open.
	bent := strings.Replace(in.Note, "\\n"+lines[1]+"\\n", "\\n"+strconv.FormatInt(size+1, 10)+"\\n", 1)
	if _, err := note.Open([]byte(bent), note.VerifierList(v)); err == nil {
		fail("a changed note opened")
	}
	res, _ := json.Marshal(map[string]interface{}{"origin": lines[0], "size": size, "proofs": out})
	fmt.Println(string(res))
}
`;

let t: TestApp;
let w: World;
before(async () => {
  if (!hasGo || !hasMod) return;
  t = await startTestApp();
  w = await buildWorld(t);
});
after(() => t?.close());

test("Go's sumdb/note opens the checkpoint and sumdb/tlog accepts (and rebuilds) every proof", async (ctx) => {
  if (!hasGo) return ctx.skip("go is not installed (apt-get install golang-go golang-golang-x-mod-dev)");
  assert.ok(hasMod, `go is installed but ${GOPATH}/src/golang.org/x/mod is missing: apt-get install golang-golang-x-mod-dev`);
  const chain = tenantChain(w.tenantA);
  const add = (n: number) =>
    t.app.deps.db.transaction().execute(async (trx) => {
      for (let i = 0; i < n; i++) {
        await appendAudit(trx, { chain, at: t.clock.now(), operation: "test.filler", actor: { type: "user", id: "u", name: "Zoë", ip: "203.0.113.9" }, target: { type: "t", id: `${i}` }, details: { i, text: "ünïcödé ✓" } });
      }
    });
  await add(20);
  await t.app.checkpointer.runOnce();
  await add(17);
  t.clock.advanceMinutes(6);
  await t.app.checkpointer.runOnce();

  const vkey = ((await t.request("GET", "/v1/audit/log-key", null)).body as string).trim();
  let note = (await t.request("GET", `/v1/audit/checkpoint?chain=${encodeURIComponent(chain)}`, w.a.auditor.as)).body as string;
  // A witness cosignature line on it (a key Go does not know) must be ignored, per signed-note.
  const witness = makeSigner("witness.example/w1", KEY_TYPE_COSIGNATURE_V1, generateKeyPairSync("ed25519").privateKey);
  note += cosignatureLine(parseNote(note).text, witness, 1_767_600_000);
  const { size } = parseCheckpoint(parseNote(note).text);
  const lines = (await exportChain(t, chain)).trim().split("\n");
  const leaves = lines.map((l) => {
    const { hash: _h, ...unsealed } = JSON.parse(l);
    return Buffer.from(canonicalEvent(unsealed)).toString("base64");
  });
  assert.equal(leaves.length, size);

  const q = async (url: string) => (await t.request("GET", `${url}&chain=${encodeURIComponent(chain)}`, w.a.auditor.as)).body.proof as string[];
  const inclusion = [];
  const consistency = [];
  for (const s of [1, 2, 5, 8, 20, size]) {
    for (let seq = 1; seq <= s; seq++) inclusion.push({ index: seq - 1, size: s, proof: await q(`/v1/audit/proof/inclusion?seq=${seq}&size=${s}`) });
    for (let from = 1; from <= s; from++) consistency.push({ from, to: s, proof: await q(`/v1/audit/proof/consistency?from=${from}&to=${s}`) });
  }

  const dir = fs.mkdtempSync(path.join(t.database.dataDir, "go-"));
  fs.writeFileSync(path.join(dir, "main.go"), program);
  fs.writeFileSync(path.join(dir, "input.json"), JSON.stringify({ vkey, note, leaves, inclusion, consistency }));
  const env = { ...process.env, GO111MODULE: "off", GOPATH, GOFLAGS: "", GOCACHE: path.join(dir, "cache"), GOTOOLCHAIN: "local" };
  const run = spawnSync("go", ["run", "main.go", "input.json"], { cwd: dir, env, encoding: "utf8" });
  assert.equal(run.status, 0, `go: ${run.stderr}`);
  const out = JSON.parse(run.stdout) as { origin: string; size: number; proofs: { kind: string; a: number; b: number; proof: string[] | null }[] };
  assert.equal(out.origin, `lockbox.test/audit/tenant/${w.tenantA}`);
  assert.equal(out.size, size);
  // Go's own proofs are byte for byte the ones Lockbox serves.
  const served = [...inclusion.map((c) => c.proof), ...consistency.map((c) => c.proof)];
  assert.equal(out.proofs.length, served.length);
  out.proofs.forEach((p, i) => assert.deepEqual(p.proof ?? [], served[i], `${p.kind} ${p.a}/${p.b}`));
});
