import dns from "node:dns";
import net from "node:net";
import ipaddr from "ipaddr.js";
import { invalidField } from "../errors.js";

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * IPv6 global unicast is allocated from 2000::/3 only. ipaddr.js calls every address it has no
 * special name for "unicast", which includes the deprecated IPv4-compatible block ::/96
 * (`::7f00:1`, i.e. ::127.0.0.1, reaches loopback on some stacks) and unallocated space; requiring
 * 2000::/3 as well refuses those without a hand-kept list. (ipaddr.js reads the dotted spelling
 * `::a.b.c.d` as IPv4-mapped; that is refused too, so both spellings end the same way.)
 */
const globalUnicastV6 = ipaddr.parseCIDR("2000::/3");

/**
 * Whether a webhook must never reach this address (unless LOCKBOX_WEBHOOK_ALLOW_PRIVATE=1).
 * An allow-list, not a block-list: only what ipaddr.js (a maintained classification of the IANA
 * special-purpose registries) calls plain public "unicast" passes. Everything else is refused —
 * loopback, RFC 1918, unique-local, link-local (cloud metadata at 169.254.169.254), site-local
 * fec0::/10, CGNAT, multicast, broadcast, reserved, documentation and benchmarking ranges, and
 * every IPv6 form that embeds or tunnels an IPv4 address (IPv4-mapped ::ffff:0:0/96,
 * IPv4-compatible ::/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16, Teredo
 * 2001::/32): the IPv4 inside may be private and a gateway on the path would unwrap it.
 * A text that is not an IP address at all is refused too.
 */
export function isBlockedAddress(address: string): boolean {
  // net.isIP first: ipaddr.js also accepts legacy forms (0x7f.1, 2130706433) that a resolver
  // never returns and URL parsing has already normalized; refuse anything odd outright.
  if (net.isIP(address) === 0) return true;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return true;
  }
  if (parsed.range() !== "unicast") return true;
  return parsed instanceof ipaddr.IPv6 && !parsed.match(globalUnicastV6);
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
    throw invalidField("url", "must point to a public unicast address (loopback, private, link-local, reserved and IPv4-embedding ranges are refused)");
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
