import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, test } from "node:test";
import {
  cosignatureLine,
  formatCheckpoint,
  formatVerifierKey,
  makeSigner,
  openNote,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  KEY_TYPE_COSIGNATURE_V1,
  KEY_TYPE_ED25519,
  signNote,
} from "../src/audit/notes.js";
import { formatProofBundle, parseProofBundle } from "../src/audit/proof-bundle.js";
import { parseWitnesses } from "../src/audit/witness-client.js";
import { loadConfig } from "../src/config.js";

describe("C2SP signed notes", () => {
  test("the signed-note spec's example key verifies its example note", () => {
    const key = parseVerifierKey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
    const note =
      "This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
    assert.equal(openNote(note, [key]).text, "This is an example message.\n");
    assert.throws(() => openNote(note.replace("example message", "exemplary message"), [key]), /does not verify/);
  });

  test("verifier keys whose base64 holds + parse (split at the first two + only); a wrong id is refused", () => {
    let signer;
    do signer = makeSigner("log.example/audit", KEY_TYPE_ED25519, generateKeyPairSync("ed25519").privateKey);
    while (!formatVerifierKey(signer).split("+").slice(2).join("+").includes("+"));
    const vkey = formatVerifierKey(signer);
    assert.equal(parseVerifierKey(vkey).keyId, signer.keyId);
    assert.throws(() => parseVerifierKey(vkey.replace(/\+[0-9a-f]{8}\+/, "+00000000+")), /id does not match/);
    assert.throws(() => parseVerifierKey("no-plus-here"), /<name>\+<key id>\+<key>/);
  });

  test("unknown signatures are ignored, a known one that fails rejects the note, and none known rejects it", () => {
    const log = makeSigner("log.example/audit", KEY_TYPE_ED25519, generateKeyPairSync("ed25519").privateKey);
    const other = makeSigner("log.example/audit", KEY_TYPE_ED25519, generateKeyPairSync("ed25519").privateKey);
    const witness = makeSigner("w.example/1", KEY_TYPE_COSIGNATURE_V1, generateKeyPairSync("ed25519").privateKey);
    const text = formatCheckpoint({ origin: "log.example/audit/provider", size: 3, root: Buffer.alloc(32, 1) });
    const note = signNote(text, log) + cosignatureLine(text, witness, 1_767_600_000);
    assert.deepEqual(openNote(note, [log]).signedBy, [log]);
    assert.deepEqual(openNote(note, [witness]).signedBy, [witness]);
    assert.throws(() => openNote(note, [other]), /not signed by a known key/);
    const lines = parseNote(note).signatures;
    const forgedCosig = note.replace(lines[1]!.line, cosignatureLine(text, witness, 1_767_600_001).replace(/.{6}\n$/, "AAAAAA\n"));
    assert.throws(() => openNote(forgedCosig, [log, witness]), /does not verify/);
    assert.deepEqual(parseCheckpoint(openNote(note, [log]).text), { origin: "log.example/audit/provider", size: 3, root: Buffer.alloc(32, 1) });
  });

  test("malformed notes and checkpoints are refused with a reason", () => {
    assert.throws(() => parseNote("no signatures\n"), /no signature block/);
    assert.throws(() => parseNote("text\n\nnot a signature\n"), /malformed signature line/);
    assert.throws(() => parseNote("tab\there\n\n\u2014 a AAAAAAA=\n"), /control characters/);
    assert.throws(() => parseCheckpoint("origin\n01\nAAAA\n"), /size/);
    assert.throws(() => parseCheckpoint("origin\n1\nAAAA\n"), /root/);
    assert.throws(() => parseCheckpoint("origin\n1\n"), /origin, a size and a root/);
  });

  test("tlog-proof bundles round-trip", () => {
    const bundle = { extra: Buffer.from("{}"), index: 5, proof: [Buffer.alloc(32, 2), Buffer.alloc(32, 3)], checkpoint: "o\n6\nAAAA\n\n\u2014 k AAAA\n" };
    const text = formatProofBundle(bundle);
    assert.match(text, /^c2sp\.org\/tlog-proof@v1\nextra e30=\nindex 5\n/);
    assert.deepEqual(parseProofBundle(text), bundle);
    assert.throws(() => parseProofBundle("c2sp.org/tlog-proof@v1\nindex x\n"), /index/);
  });

  test("LOCKBOX_WITNESSES lists <cosignature verifier key>@<url>; anything else stops the server naming the variable", () => {
    const w1 = formatVerifierKey(makeSigner("w.example/1", KEY_TYPE_COSIGNATURE_V1, generateKeyPairSync("ed25519").privateKey));
    const w2 = formatVerifierKey(makeSigner("w.example/2", KEY_TYPE_COSIGNATURE_V1, generateKeyPairSync("ed25519").privateKey));
    const config = loadConfig({ LOCKBOX_WITNESSES: `${w1}@https://w1.example/ ,${w2}@http://10.0.0.2:8090` });
    assert.deepEqual(parseWitnesses(config.witnesses).map((w) => [w.key.name, w.url]), [["w.example/1", "https://w1.example"], ["w.example/2", "http://10.0.0.2:8090"]]);
    assert.throws(() => loadConfig({ LOCKBOX_WITNESSES: "https://w1.example" }), /LOCKBOX_WITNESSES/);
    const logKey = formatVerifierKey(makeSigner("l.example/audit", KEY_TYPE_ED25519, generateKeyPairSync("ed25519").privateKey));
    assert.throws(() => parseWitnesses(`${logKey}@https://w1.example`), /not a cosignature \(0x04\) key/);
  });
});
