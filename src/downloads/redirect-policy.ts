/**
 * Where a download may be redirected to. The first request always goes to MAST_BASE_URL; a
 * redirect is followed only to the host of MAST_BASE_URL or a configured mirror
 * (DOWNLOAD_ALLOWED_HOSTS: `host`, `host:port` or `*.domain`), over http(s), never from https down
 * to http, and never to a loopback, private, link-local or unspecified address unless
 * MAST_BASE_URL itself is one (a local or test MAST). So a spoofed or compromised answer cannot
 * make the engine fetch from the machine's own services and save that body as a product.
 */
import { isIP } from 'node:net';

export interface RedirectPolicy {
  /** Null when the redirect may be followed, else why it may not (for the error message). */
  refusal(target: URL): string | null;
}

/** Hostname without IPv6 brackets, lower-cased. */
function bareHost(u: URL): string {
  return u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

function ipv4Private(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number) as [number, number];
  return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 198 && (b === 18 || b === 19)) || a >= 224;
}

/**
 * True for addresses that are not on the public internet: loopback, private (RFC 1918, ULA fc00::/7),
 * carrier-grade NAT, link-local, unspecified, multicast/reserved, IPv4-mapped forms of those, and
 * the names `localhost` / `*.localhost`.
 */
export function isPrivateHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const kind = isIP(h);
  if (kind === 4) return ipv4Private(h);
  if (kind === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    if (mapped) return ipv4Private(mapped[1]!);
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
    if (hex) {
      const hi = parseInt(hex[1]!, 16);
      const lo = parseInt(hex[2]!, 16);
      return ipv4Private(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
    }
    return h === '::' || h === '::1' || /^f[cd]/.test(h) || /^fe[89ab]/.test(h) || /^ff/.test(h);
  }
  return false;
}

/** Parses DOWNLOAD_ALLOWED_HOSTS entries: `host`, `host:port`, `*.domain` (case-insensitive). */
function entryMatches(entry: string, target: URL): boolean {
  const e = entry.trim().toLowerCase();
  if (!e) return false;
  const host = bareHost(target);
  if (e.startsWith('*.')) return host.endsWith(e.slice(1)) && host.length > e.length - 1;
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(e);
  if (!m) return false;
  if (m[1] !== host) return false;
  if (m[2] === undefined) return true;
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return m[2] === port;
}

/** The policy for downloads from `mastBaseUrl`, with `allowedHosts` (mirrors) beside its host. */
export function redirectAllowList(mastBaseUrl: string, allowedHosts: readonly string[] = []): RedirectPolicy {
  const base = new URL(mastBaseUrl);
  const baseHost = bareHost(base);
  const basePrivate = isPrivateHost(baseHost);
  return {
    refusal(target) {
      const host = bareHost(target);
      if (target.protocol !== 'http:' && target.protocol !== 'https:') return `${target.protocol} is not http(s)`;
      if (isPrivateHost(host) && !basePrivate) return `${host} is a loopback or private address`;
      if (base.protocol === 'https:' && target.protocol !== 'https:') return `${host} is not served over https`;
      if (host === baseHost || allowedHosts.some((e) => entryMatches(e, target))) return null;
      return `${host} is neither the host of MAST_BASE_URL nor in DOWNLOAD_ALLOWED_HOSTS`;
    },
  };
}
