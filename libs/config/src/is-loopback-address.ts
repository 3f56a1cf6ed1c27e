import { isIPv6 } from 'node:net';

/**
 * The host part of an address as grpc-js dials or binds it: `host:port`,
 * `[v6]:port`, a bare host, or a URI target (`dns:///host:port`, `ipv4:…`, `unix:…`).
 */
function hostOf(address: string): string {
  let target = address.trim();
  if (/^unix(-abstract)?:/.test(target)) return 'unix';
  target = target.replace(/^(dns|ipv4|ipv6):(\/\/[^/]*\/)?/, '');
  const bracketed = /^\[([^\]]+)\](:\d+)?$/.exec(target);
  if (bracketed) return bracketed[1]!;
  if (isIPv6(target)) return target;
  return target.replace(/:\d*$/, '');
}

/**
 * True when `address` reaches only this machine: `localhost`, 127.0.0.0/8, `::1`
 * (in any spelling, also `::ffff:127.x.y.z`) or a unix socket. Anything else,
 * `0.0.0.0` and `::` (every interface) and every other name included, counts as
 * reachable from outside.
 */
export function isLoopbackAddress(address: string): boolean {
  let host = hostOf(address).toLowerCase();
  if (host === 'unix' || host === 'localhost' || host.endsWith('.localhost')) return true;
  // The URL parser writes an IPv6 address in its one canonical form (::1, ::ffff:7f00:1).
  if (isIPv6(host)) host = new URL(`http://[${host}]`).hostname.slice(1, -1);
  if (/^127(\.\d{1,3}){3}$/.test(host)) return true;
  return host === '::1' || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host);
}
