import { X509Certificate } from "node:crypto";
import { invalidField } from "../errors.js";
import { assertWebhookUrl, MAX_WEBHOOK_URL_LENGTH } from "../notify/ssrf-guard.js";

export const sinkTypes = ["splunk_hec", "syslog", "http"] as const;
export type SinkType = (typeof sinkTypes)[number];
export const sinkFormats = ["ocsf", "lockbox"] as const;
export type SinkFormat = (typeof sinkFormats)[number];

export const MAX_SINK_URL_LENGTH = MAX_WEBHOOK_URL_LENGTH;
export const MAX_SINK_TOKEN_LENGTH = 1024;
export const MAX_CA_PEM_LENGTH = 64 * 1024;
export const MAX_SINKS_PER_OWNER = 10;

/**
 * TLS settings a sink may carry: a private CA to trust and the name to expect on the
 * certificate. There is deliberately no way to turn verification off: a sink receives the whole
 * audit trail and its token, and an unverified connection would hand both to whoever sits on the
 * path. A self-signed receiver is trusted by giving its CA here.
 */
export interface SinkTls {
  ca?: string;
  serverName?: string;
}

/**
 * Checks a sink's URL for its type — `http(s)://…` for splunk_hec and http, `tcp://host:port` or
 * `tls://host:port` for syslog — and runs the host through the webhooks' SSRF guard (loopback and
 * private targets refused unless LOCKBOX_WEBHOOK_ALLOW_PRIVATE=1). Delivery checks the address
 * again at connect time (guardedLookup), as webhooks do.
 */
export async function assertSinkUrl(type: SinkType, raw: string, allowPrivate: boolean): Promise<URL> {
  if (raw.length > MAX_SINK_URL_LENGTH) throw invalidField("url", `must be at most ${MAX_SINK_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidField("url", "is not a URL");
  }
  if (type === "syslog") {
    if (url.protocol !== "tcp:" && url.protocol !== "tls:") throw invalidField("url", "a syslog sink takes tcp://host:port or tls://host:port");
    if (!url.hostname || !url.port) throw invalidField("url", "needs a host and a port");
    if (url.username || url.password) throw invalidField("url", "must not carry credentials");
    if ((url.pathname && url.pathname !== "/") || url.search || url.hash) throw invalidField("url", "takes no path, query or fragment");
    // The address rules are the webhooks'; only the scheme differs.
    await assertWebhookUrl(`https://${url.host}/`, allowPrivate);
    return url;
  }
  const checked = await assertWebhookUrl(raw, allowPrivate);
  if (checked.hash) throw invalidField("url", "takes no fragment");
  return checked;
}

/** Validates `tls`: the CA must parse as PEM certificates; the server name must be a host name. */
export function checkSinkTls(tls: SinkTls | undefined, url: URL): SinkTls | null {
  if (!tls || (tls.ca === undefined && tls.serverName === undefined)) return null;
  if (url.protocol !== "https:" && url.protocol !== "tls:") throw invalidField("tls", "applies only to https:// and tls:// URLs");
  if (tls.ca !== undefined) {
    const pems = tls.ca.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (pems.length === 0) throw invalidField("tls.ca", "must hold PEM certificates");
    for (const pem of pems) {
      try {
        new X509Certificate(pem);
      } catch {
        throw invalidField("tls.ca", "holds a certificate that does not parse");
      }
    }
  }
  if (tls.serverName !== undefined && !/^[A-Za-z0-9.-]{1,253}$/.test(tls.serverName)) {
    throw invalidField("tls.serverName", "must be a host name");
  }
  return { ...(tls.ca !== undefined ? { ca: tls.ca } : {}), ...(tls.serverName !== undefined ? { serverName: tls.serverName } : {}) };
}

/** Where a splunk_hec sink posts: the HEC event endpoint under the configured base URL. */
export function hecEndpoint(base: string): URL {
  const url = new URL(base);
  if (!url.pathname.endsWith("/services/collector/event")) {
    url.pathname = `${url.pathname.replace(/\/+$/, "")}/services/collector/event`;
  }
  return url;
}
