import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { ed25519PrivateFromSeed, formatVerifierKey, isValidKeyName, makeSigner, type NoteSigner, parseVerifierKey, KEY_TYPE_COSIGNATURE_V1, KEY_TYPE_ED25519, seedOf } from "../audit/notes.js";
import { addCheckpoint, type WitnessLog, type WitnessState } from "../audit/witness.js";
import { fail } from "./fail.js";

/**
 * `lockbox witness keygen|serve`: a C2SP tlog-witness a customer runs itself (SPEC §16). It
 * cosigns a log's checkpoint only after checking the log's signature and that the new tree
 * extends the last one it cosigned, so a provider cannot show it two histories.
 */

const MAX_BODY = 64 * 1024;

/** The key file: `PRIVATE+KEY+<name>+<key id>+<base64(0x04 ‖ Ed25519 seed)>`, as Go's note signer keys. */
export function witnessKeygen(name: string, out: string, stdout: NodeJS.WritableStream = process.stdout): void {
  if (!isValidKeyName(name)) fail("--name must be non-empty, without spaces or +, e.g. witness.example.com/w1", 2);
  if (fs.existsSync(out)) fail(`${out} exists; refusing to overwrite a key`, 2);
  const signer = makeSigner(name, KEY_TYPE_COSIGNATURE_V1, generateKeyPairSync("ed25519").privateKey);
  const secret = Buffer.concat([Buffer.from([KEY_TYPE_COSIGNATURE_V1]), seedOf(signer.privateKey)]).toString("base64");
  fs.writeFileSync(out, `PRIVATE+KEY+${name}+${signer.keyId.toString(16).padStart(8, "0")}+${secret}\n`, { mode: 0o600, flag: "wx" });
  stdout.write(`${formatVerifierKey(signer)}\n`);
}

export function readWitnessKey(file: string): NoteSigner {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8").trim();
  } catch (err) {
    return fail(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, 2);
  }
  const m = /^PRIVATE\+KEY\+([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text);
  const raw = m ? Buffer.from(m[3]!, "base64") : Buffer.alloc(0);
  if (!m || raw.length !== 33 || raw[0] !== KEY_TYPE_COSIGNATURE_V1) return fail(`${file} is not a witness key made by lockbox witness keygen`, 2);
  const signer = makeSigner(m[1]!, KEY_TYPE_COSIGNATURE_V1, ed25519PrivateFromSeed(raw.subarray(1)));
  if (signer.keyId.toString(16).padStart(8, "0") !== m[2]) return fail(`${file}: the key id does not match the key`, 2);
  return signer;
}

/** `--log <origin>=<log verifier key>`, repeatable. */
export function parseLogs(specs: string[]): WitnessLog[] {
  if (specs.length === 0) fail("name at least one --log <origin>=<log verifier key>", 2);
  const logs = new Map<string, WitnessLog>();
  for (const spec of specs) {
    const at = spec.indexOf("=");
    if (at < 1) fail(`--log ${spec}: write it as <origin>=<verifier key>`, 2);
    const origin = spec.slice(0, at);
    let key;
    try {
      key = parseVerifierKey(spec.slice(at + 1));
    } catch (err) {
      return fail(`--log ${origin}: ${err instanceof Error ? err.message : String(err)}`, 2);
    }
    if (key.type !== KEY_TYPE_ED25519) fail(`--log ${origin}: a log key has type 0x01`, 2);
    const log = logs.get(origin) ?? { origin, keys: [] };
    log.keys.push(key);
    logs.set(origin, log);
  }
  return [...logs.values()];
}

function loadState(file: string): WitnessState {
  if (!fs.existsSync(file)) return {};
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as WitnessState;
  } catch (err) {
    return fail(`cannot read the state file ${file}: ${err instanceof Error ? err.message : String(err)}`, 2);
  }
}

function saveState(file: string, state: WitnessState): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, "w", 0o600);
  fs.writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

export interface WitnessServer {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

export async function witnessServe(options: { key: string; logs: string[]; port: number; host?: string; state: string }, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<WitnessServer> {
  const signer = readWitnessKey(options.key);
  const logs = parseLogs(options.logs);
  let state = loadState(options.state);
  // One request at a time: checking the old size and storing the new one must not interleave.
  let queue: Promise<void> = Promise.resolve();
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method !== "POST" || req.url !== "/add-checkpoint") return reply(404, "not found\n");
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reply(413, "too large\n");
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => {
      if (size > MAX_BODY) return;
      queue = queue.then(() => {
        const answer = addCheckpoint(Buffer.concat(chunks).toString("utf8"), logs, state, signer, new Date());
        if (answer.state) {
          saveState(options.state, answer.state);
          state = answer.state;
        }
        log(`add-checkpoint ${answer.status}${answer.status === 200 ? "" : `: ${answer.body.trim()}`}`);
        reply(answer.status, answer.body, answer.contentType);
      }).catch((err: unknown) => {
        log(`add-checkpoint failed: ${err instanceof Error ? err.message : String(err)}`);
        reply(500, "the witness failed\n");
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  log(`witness ${formatVerifierKey(signer)} listening on ${options.host ?? "127.0.0.1"}:${port}`);
  return { server, port, close: () => new Promise((r) => server.close(() => r())) };
}
