import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import { assertDeliverableHost, guardedLookup } from "../notify/ssrf-guard.js";
import { hecEndpoint, type SinkTls, type SinkType } from "./sink-config.js";

export const SINK_TIMEOUT_MS = 10_000;

export interface SendTarget {
  type: SinkType;
  url: string;
  token: string | null;
  tls: SinkTls | null;
  allowPrivate: boolean;
}

/** The outcome of one batch: ok, or an error for the sink's status (never holding the token). */
export type SendOutcome = { ok: true } | { ok: false; error: string };

/**
 * Sends one encoded batch. Never throws. HTTP(S): any 2xx is success, redirects are failures,
 * the answer's body (first 200 bytes) goes into the error so a 400 from Splunk says why.
 * Syslog: success is a connection that took every byte and closed in order — TCP syslog has no
 * application acknowledgement, so this is the most a plain syslog receiver can confirm.
 */
export async function sendBatch(target: SendTarget, body: Buffer): Promise<SendOutcome> {
  try {
    if (target.type === "syslog") return await sendSyslog(target, body);
    return await postBatch(target, body);
  } catch (err) {
    return { ok: false, error: (err as Error).message.slice(0, 500) };
  }
}

function postBatch(target: SendTarget, body: Buffer): Promise<SendOutcome> {
  const url = target.type === "splunk_hec" ? hecEndpoint(target.url) : new URL(target.url);
  assertDeliverableHost(url, target.allowPrivate);
  const headers: Record<string, string> = {
    "content-type": target.type === "splunk_hec" ? "application/json" : "application/x-ndjson",
    "content-length": String(body.length),
    "user-agent": "Lockbox-Audit-Stream/1",
  };
  if (target.token) headers.authorization = target.type === "splunk_hec" ? `Splunk ${target.token}` : `Bearer ${target.token}`;
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    const req = client.request(url, {
      method: "POST",
      headers,
      lookup: guardedLookup(target.allowPrivate),
      timeout: SINK_TIMEOUT_MS,
      // A fresh connection per batch: a kept-alive socket the receiver closes while idle would
      // fail the next batch for nothing, and batches are large enough to pay for the handshake.
      agent: false,
      ...(url.protocol === "https:" ? { ca: target.tls?.ca, servername: target.tls?.serverName } : {}),
    }, (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        if (size < 200) chunks.push(c);
        size += c.length;
      });
      res.on("end", () => {
        if (status >= 200 && status < 300) return resolve({ ok: true });
        const text = Buffer.concat(chunks).toString("utf8").slice(0, 200).replace(/\s+/g, " ").trim();
        resolve({ ok: false, error: `HTTP ${status}${text ? `: ${text}` : ""}` });
      });
      res.on("error", (err) => resolve({ ok: false, error: err.message.slice(0, 500) }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${SINK_TIMEOUT_MS / 1000} s`)));
    req.on("error", (err) => resolve({ ok: false, error: err.message.slice(0, 500) }));
    req.end(body);
  });
}

function sendSyslog(target: SendTarget, body: Buffer): Promise<SendOutcome> {
  const url = new URL(target.url);
  assertDeliverableHost(url, target.allowPrivate);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(url.port);
  const lookup = guardedLookup(target.allowPrivate);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: SendOutcome) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(outcome);
    };
    const socket: net.Socket =
      url.protocol === "tls:"
        ? tls.connect({ host, port, lookup, ca: target.tls?.ca, servername: target.tls?.serverName ?? (net.isIP(host) ? undefined : host) })
        : net.connect({ host, port, lookup });
    socket.setTimeout(SINK_TIMEOUT_MS, () => finish({ ok: false, error: `no progress within ${SINK_TIMEOUT_MS / 1000} s` }));
    socket.on("error", (err) => finish({ ok: false, error: err.message.slice(0, 500) }));
    socket.once(url.protocol === "tls:" ? "secureConnect" : "connect", () => {
      socket.end(body);
    });
    // The receiver closes its side after reading to our end: every byte reached it.
    socket.on("end", () => finish({ ok: true }));
    socket.on("close", (hadError) => finish(hadError ? { ok: false, error: "connection closed with an error" } : { ok: true }));
  });
}
