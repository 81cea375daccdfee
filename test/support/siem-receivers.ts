import http from "node:http";
import type { AddressInfo } from "node:net";

/** One event as a receiver got it: which path, the record, and its chain seq (for ordering checks). */
export interface Received {
  path: string;
  seq: number;
  record: any;
  envelope?: any;
}

/**
 * Splits a body of concatenated JSON objects (Splunk HEC's batch form: `{…}{…}` or with
 * whitespace between) into values, the way HEC reads it. Throws on anything else.
 */
export function parseConcatenatedJson(text: string): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    if (text[i] !== "{") throw new Error(`expected an object at ${i}`);
    let depth = 0;
    let inString = false;
    let j = i;
    for (; j < text.length; j++) {
      const c = text[j]!;
      if (inString) {
        if (c === "\\") j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === "{") depth++;
      else if (c === "}" && --depth === 0) break;
    }
    out.push(JSON.parse(text.slice(i, j + 1)));
    i = j + 1;
  }
  return out;
}

const hecKeys = new Set(["time", "host", "source", "sourcetype", "index", "fields", "event"]);

/**
 * A Splunk HEC endpoint and a plain NDJSON receiver in one HTTP server. HEC paths
 * (`/<name>/services/collector/event`) check the request as Splunk documents it: `Authorization:
 * Splunk <token>` (401 "Token is required" code 2 without, 403 "Invalid token" code 4 when
 * wrong), a body of one or more concatenated event objects, each with a non-empty `event`
 * (400 "Event field is required" code 12), `time` in epoch seconds, string host/source/sourcetype
 * and no other keys, answering 200 `{"text":"Success","code":0}`. Other paths take NDJSON.
 *
 * On demand a path answers an error (`failWith(path, status, times)`), holds its requests
 * without answering (`hold(path)` until `release(path)`), or goes down (`down(path)`: sockets
 * destroyed). Events are counted only when the answer is a success.
 */
export async function startSiemReceiver() {
  const tokens = new Map<string, string>();
  const failures = new Map<string, { status: number; times: number }>();
  const held = new Map<string, (() => void)[]>();
  const holding = new Set<string>();
  const downPaths = new Set<string>();
  const echoing = new Set<string>();
  const received: Received[] = [];
  const requests: { path: string; status: number; authorization?: string }[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = req.url ?? "/";
      const hec = url.endsWith("/services/collector/event");
      const name = hec ? url.slice(0, -"/services/collector/event".length) : url;
      if (downPaths.has(name)) {
        req.socket.destroy();
        return;
      }
      const answer = (status: number, body: unknown, events: Received[] = []) => {
        requests.push({ path: name, status, authorization: req.headers.authorization });
        if (status >= 200 && status < 300) received.push(...events);
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      };
      const respond = () => {
        if (echoing.has(name)) return answer(400, { error: `bad request; you sent authorization: ${req.headers.authorization}` });
        const fail = failures.get(name);
        if (fail && fail.times > 0) {
          fail.times -= 1;
          return answer(fail.status, hec ? { text: "Invalid data format", code: 6, "invalid-event-number": 0 } : { error: "refused" });
        }
        const raw = Buffer.concat(chunks).toString("utf8");
        if (hec) {
          const auth = req.headers.authorization;
          if (!auth) return answer(401, { text: "Token is required", code: 2 });
          if (auth !== `Splunk ${tokens.get(name)}`) return answer(403, { text: "Invalid token", code: 4 });
          let envelopes: any[];
          try {
            envelopes = parseConcatenatedJson(raw);
          } catch {
            return answer(400, { text: "Invalid data format", code: 6 });
          }
          for (const [n, e] of envelopes.entries()) {
            const bad =
              !e.event ||
              (typeof e.event === "object" && Object.keys(e.event).length === 0) ||
              Object.keys(e).some((k) => !hecKeys.has(k)) ||
              (e.time !== undefined && typeof e.time !== "number") ||
              ["host", "source", "sourcetype"].some((k) => e[k] !== undefined && typeof e[k] !== "string");
            if (bad) return answer(400, { text: "Event field is required", code: 12, "invalid-event-number": n });
          }
          return answer(
            200,
            { text: "Success", code: 0 },
            envelopes.map((e) => ({ path: name, seq: seqOf(e.event), record: e.event, envelope: e })),
          );
        }
        const expected = tokens.get(name);
        if (expected && req.headers.authorization !== `Bearer ${expected}`) return answer(401, { error: "token" });
        if (req.headers["content-type"] !== "application/x-ndjson" || !raw.endsWith("\n")) return answer(415, { error: "not ndjson" });
        const lines = raw.split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
        return answer(204, {}, lines.map((record) => ({ path: name, seq: seqOf(record), record })));
      };
      if (holding.has(name)) {
        held.set(name, [...(held.get(name) ?? []), respond]);
        return;
      }
      respond();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    requests,
    setToken: (path: string, token: string) => tokens.set(path, token),
    failWith: (path: string, status: number, times: number) => failures.set(path, { status, times }),
    /** Answers 400 with the request's Authorization header in the body, as careless receivers do. */
    echoAuth: (path: string) => echoing.add(path),
    down: (path: string) => downPaths.add(path),
    up: (path: string) => downPaths.delete(path),
    hold: (path: string) => holding.add(path),
    release(path: string) {
      holding.delete(path);
      for (const respond of held.get(path) ?? []) respond();
      held.delete(path);
    },
    heldCount: (path: string) => held.get(path)?.length ?? 0,
    at: (path: string) => received.filter((r) => r.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type SiemReceiver = Awaited<ReturnType<typeof startSiemReceiver>>;

/** The chain seq of a record in either format (OCSF keeps the event under `unmapped`). */
export function seqOf(record: any): number {
  return Number(record?.unmapped?.seq ?? record?.seq);
}

/**
 * Every seq from 1 to `head` arrived, and first arrivals came in order: duplicates (at least
 * once) are allowed, a gap or a step back to a seq not yet seen is not.
 */
export function assertCompleteInOrder(seqs: number[], head: number): string | null {
  let highest = 0;
  for (const s of seqs) {
    if (s > highest + 1) return `seq ${s} arrived before ${highest + 1}`;
    if (s === highest + 1) highest = s;
  }
  return highest === head ? null : `only up to seq ${highest} of ${head} arrived`;
}
