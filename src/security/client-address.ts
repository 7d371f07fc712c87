import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * Which proxies in front of the gateway may say who their client is: a hop count (the nearest N
 * addresses of the chain are proxies), or the proxies' addresses and networks. 0 or an empty
 * list trusts none: `X-Forwarded-For` is never read.
 */
export type TrustProxy = number | string[];

/** Network names as Express's `trust proxy` has them, for the addresses proxies usually have. */
const namedNetworks: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

export const maxTrustedHops = 100;

/** What is wrong with a TRUST_PROXY list entry, if anything. */
function entryProblem(entry: string): string | undefined {
  if (entry in namedNetworks) return undefined;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) {
    return `"${entry}" is not an address, a network (address/prefix) or one of ${Object.keys(namedNetworks).join(', ')}`;
  }
  const bits = family === 4 ? 32 : 128;
  if (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits)) {
    return `"${entry}" has a prefix length that is not 0 to ${bits}`;
  }
  return undefined;
}

/**
 * TRUST_PROXY's text as a setting: a hop count, or a comma-separated list of addresses, networks
 * and network names; `false` is 0. `true` (trust whatever a client sends) is refused.
 */
export function parseTrustProxy(text: string): { ok: true; value: TrustProxy } | { ok: false; problems: string[] } {
  const trimmed = text.trim();
  if (trimmed === 'false') return { ok: true, value: 0 };
  if (trimmed === 'true') {
    return {
      ok: false,
      problems: [
        'TRUST_PROXY=true would take any X-Forwarded-For a client makes up: give the number of proxies in front of the gateway (1 for one load balancer), or their addresses',
      ],
    };
  }
  if (/^\d+$/.test(trimmed)) {
    const hops = Number(trimmed);
    return hops <= maxTrustedHops
      ? { ok: true, value: hops }
      : { ok: false, problems: [`TRUST_PROXY must be a hop count from 0 to ${maxTrustedHops}, or a list of addresses`] };
  }
  const entries = trimmed.split(',').map((e) => e.trim()).filter(Boolean);
  const problems = entries.flatMap((entry) => {
    const problem = entryProblem(entry);
    return problem ? [`TRUST_PROXY entry ${problem}`] : [];
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: entries };
}

/** An address as the socket or a proxy gives it, without port or brackets, IPv4-mapped as IPv4; undefined when it is none. */
function plainAddress(text: string): string | undefined {
  let address = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) address = mapped[1]!;
  return isIP(address) ? address : undefined;
}

function blockListOf(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries.flatMap((e) => namedNetworks[e] ?? [e])) {
    const problem = entryProblem(entry);
    if (problem) throw new Error(`TRUST_PROXY entry ${problem}`);
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    list.addSubnet(address, prefix === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefix), family);
  }
  return list;
}

const resolved = Symbol('clientAddress');

type Addressed = { socket?: { remoteAddress?: string } | null; [resolved]?: string };

/**
 * The client address of every request, HTTP or WebSocket upgrade, resolved once where it enters
 * the server (`stamp` on the server's `request` and `upgrade` events) and read by everything that
 * limits or logs by address through `clientAddressOf`.
 *
 * X-Forwarded-For is walked from the right, from the TCP peer on: while the address at hand is a
 * trusted proxy, the entry it appended before it is the next; the first address that is not a
 * trusted proxy (or the leftmost, when all are) is the client. Entries a client writes itself sit
 * left of those its proxies append, so a made-up one is reached only through a proxy the
 * operator named, never through a trusted hop.
 */
export function createClientAddress(trust: TrustProxy) {
  const hops = typeof trust === 'number' ? trust : 0;
  const list = Array.isArray(trust) && trust.length > 0 ? blockListOf(trust) : undefined;
  const trusted = (address: string, hop: number) =>
    list ? list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6') : hop < hops;

  function resolve(req: Pick<IncomingMessage, 'headers'> & Addressed): string | undefined {
    const peer = req.socket?.remoteAddress;
    if (!peer || (!list && hops === 0)) return peer;
    const header = req.headers['x-forwarded-for'];
    if (!header) return peer;
    const chain = (Array.isArray(header) ? header.join(',') : header).split(',');
    let address = plainAddress(peer) ?? peer;
    for (let hop = 0; hop < chain.length && trusted(address, hop); hop++) {
      const next = plainAddress(chain[chain.length - 1 - hop]!);
      // What a trusted proxy wrote is no address: the nearest one that is stands.
      if (!next) break;
      address = next;
    }
    return address;
  }

  return {
    resolve,
    stamp(req: IncomingMessage) {
      (req as Addressed)[resolved] = resolve(req);
    },
  };
}

/** The client address `createClientAddress` stamped on a request; the TCP peer's on one it has not seen. */
export function clientAddressOf(req: Addressed | undefined | null): string | undefined {
  if (!req) return undefined;
  return resolved in req ? req[resolved] : (req.socket?.remoteAddress ?? undefined);
}
