import dns from "node:dns";
import net from "node:net";
import { invalidField } from "../errors.js";

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * Addresses a webhook must never reach unless LOCKBOX_WEBHOOK_ALLOW_PRIVATE=1: loopback, private
 * (RFC 1918, ULA), link-local (cloud metadata lives at 169.254.169.254), CGNAT, unspecified,
 * multicast, reserved and documentation ranges. Node's BlockList checks an IPv4-mapped IPv6
 * address (::ffff:10.0.0.1) against the IPv4 rules, so those cannot smuggle a private target
 * through; do not add a ::ffff:0:0/96 rule — BlockList would then match every IPv4 address.
 */
const blocked = new net.BlockList();
for (const [address, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  blocked.addSubnet(address, prefix, "ipv4");
}
for (const [address, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b:1::", 48],
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  blocked.addSubnet(address, prefix, "ipv6");
}

export function isBlockedAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return true;
  return blocked.check(address, family === 4 ? "ipv4" : "ipv6");
}

const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, "$1");

/**
 * Checks a webhook URL at registration: http(s) only, no credentials in it, bounded length, and
 * (unless private targets are allowed) every address the host resolves to must be public.
 * Delivery checks again through `guardedLookup`, because DNS may answer differently later.
 */
export async function assertWebhookUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) throw invalidField("url", `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidField("url", "is not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalidField("url", "must be an http or https URL");
  if (url.username || url.password) throw invalidField("url", "must not carry credentials");
  if (!url.hostname) throw invalidField("url", "has no host");
  if (allowPrivate) return url;
  const host = hostOf(url);
  let addresses: string[];
  if (net.isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch {
      throw invalidField("url", "host does not resolve");
    }
  }
  if (addresses.length === 0 || addresses.some(isBlockedAddress)) {
    throw invalidField("url", "points to a loopback, private, link-local or reserved address");
  }
  return url;
}

export class BlockedAddressError extends Error {
  override name = "BlockedAddressError";
}

/**
 * A `lookup` for http.request that refuses blocked addresses at connect time. The connection goes
 * to exactly the address checked here, so a DNS answer that changes between check and connect
 * (rebinding) cannot slip through. IP-literal hosts never reach a lookup: check them with
 * `assertDeliverableHost` first.
 */
export function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 4);
      const list = addresses as dns.LookupAddress[];
      if (!allowPrivate && (list.length === 0 || list.some((a) => isBlockedAddress(a.address)))) {
        return callback(new BlockedAddressError(`${hostname} resolves to a blocked address`) as NodeJS.ErrnoException, "", 4);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      return callback(null, first.address, first.family);
    });
  };
}

export function assertDeliverableHost(url: URL, allowPrivate: boolean): void {
  const host = hostOf(url);
  if (!allowPrivate && net.isIP(host) && isBlockedAddress(host)) {
    throw new BlockedAddressError(`${host} is a blocked address`);
  }
}
