import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ConfigError } from './config.js';

export interface RedisClients {
  /** Publishes events and runs the lease and rate-limit scripts. */
  publish: Redis;
  /** Held by SUBSCRIBE for job events. */
  subscribe: Redis;
  /** Whether Redis answers, told once per outage in the log. */
  outage: RedisOutage;
}

/**
 * One log line when Redis stops answering and one when it answers again, however many commands
 * fail in between: every user of Redis reports here instead of logging on its own.
 */
export interface RedisOutage {
  /** A command failed or a connection was lost. */
  failed(error: unknown): void;
  /** A command succeeded or a connection is ready: the outage is over when every connection is. */
  succeeded(): void;
  readonly down: boolean;
  /** Every connection is up (publishing and subscribed): what sharing work with other instances needs. */
  readonly connected: boolean;
}

export function createRedisOutage(
  logger: Pick<Logger, 'warn' | 'info'>,
  options: { scrub?: (text: string) => string; connected?: () => boolean } = {},
): RedisOutage {
  const scrub = options.scrub ?? ((text: string) => text);
  let down = false;
  return {
    get down() {
      return down;
    },
    get connected() {
      return options.connected?.() ?? true;
    },
    failed(error) {
      if (down) return;
      down = true;
      logger.warn(
        { error: describeError(error, scrub) },
        'Redis unavailable: this instance carries on alone until it answers (job events stay on this instance, ' +
          'its pollers poll for its own subscribers, rate limits are kept per instance)',
      );
    },
    succeeded() {
      if (!down || !(options.connected?.() ?? true)) return;
      down = false;
      logger.info('Redis answers again: job events, poller leases and rate limits are shared again');
    },
  };
}

/**
 * An ioredis error as one line without anything of the URL's credentials. Never log the error
 * object itself: a failed AUTH carries its arguments (the password) in `command.args`.
 */
export function describeError(error: unknown, scrub: (text: string) => string): string {
  if (!(error instanceof Error)) return scrub(String(error));
  return scrub(`${error.name}: ${error.message}`);
}

interface RedisTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls: boolean;
}

/**
 * REDIS_URL as connection options, parsed here rather than by ioredis, whose parse error (Node's
 * `new URL`) carries the whole URL, password included, to whoever prints it.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const invalid = (why: string) =>
    new ConfigError(`REDIS_URL (${redact(url)}) is not a valid redis:// or rediss:// URL: ${why}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid("percent-encode '/', '@', ':', '?' and '#' in the user name and password");
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw invalid('the scheme must be redis:// or rediss://');
  if (!parsed.hostname) throw invalid('it names no host');
  if (parsed.search || parsed.hash) throw invalid('options after ? or # are not read; put the password before the host');
  const path = parsed.pathname.replace(/^\//, '');
  if (path && !/^\d{1,2}$/.test(path)) throw invalid('the path, if any, is a database number');
  let username: string | undefined;
  let password: string | undefined;
  try {
    username = parsed.username ? decodeURIComponent(parsed.username) : undefined;
    password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  } catch {
    throw invalid('the user name or password has a malformed percent-encoding');
  }
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : 6379,
    username,
    password,
    db: path ? Number(path) : undefined,
    tls: parsed.protocol === 'rediss:',
  };
}

/** Connects both, or fails with a message naming REDIS_URL (never its credentials). */
export async function connectRedis(url: string, logger: Logger): Promise<RedisClients> {
  const target = parseRedisUrl(url);
  const scrub = scrubber(url);
  // Loaded only when Redis is configured: most single instances never need it.
  const { Redis } = await import('ioredis');
  const clients: Redis[] = [];
  const outage = createRedisOutage(logger, { scrub, connected: () => clients.every((c) => c.status === 'ready') });
  const connect = async (subscriber: boolean) => {
    const client = new Redis({
      host: target.host,
      port: target.port,
      username: target.username,
      password: target.password,
      db: target.db,
      tls: target.tls ? {} : undefined,
      lazyConnect: true,
      connectTimeout: 5000,
      maxRetriesPerRequest: 3,
      // While Redis is away commands fail at once instead of piling up: every caller has a fallback.
      enableOfflineQueue: false,
      // ioredis resubscribes without handling the result; the event bus resubscribes itself.
      autoResubscribe: !subscriber,
    });
    // Without a listener ioredis prints every reconnection error; the outage is logged once instead.
    // Before the start succeeded, a failure is the start's error instead (a refused AUTH says
    // more than the "Connection is closed." that connect() rejects with).
    let startError: unknown;
    client.on('error', (error: unknown) => {
      if (clients.includes(client)) outage.failed(error);
      else startError ??= error;
    });
    client.on('close', () => {
      if (clients.includes(client)) outage.failed(new Error('connection lost'));
    });
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw new Error(`cannot reach Redis at REDIS_URL (${redact(url)}): ${describeError(startError ?? error, scrub)}`);
    }
    client.on('ready', () => outage.succeeded());
    clients.push(client);
    return client;
  };
  const publish = await connect(false);
  const subscribe = await connect(true).catch((error: unknown) => {
    clients.length = 0;
    publish.disconnect();
    throw error;
  });
  return { publish, subscribe, outage };
}

/** Closes both: QUIT when connected, otherwise no waiting for a Redis that is away. */
export async function closeRedis(redis: RedisClients): Promise<void> {
  await Promise.all(
    [redis.publish, redis.subscribe].map(async (client) => {
      client.removeAllListeners('close');
      if (client.status === 'ready') await withTimeout(client.quit(), 1000, 'no answer to QUIT').catch(() => undefined);
      client.disconnect();
    }),
  );
}

/**
 * The URL for messages: scheme, host, port and database only. Whatever precedes the last '@' may
 * be credentials (a password may hold '@', ':' or '/' unencoded) and is never shown; when the host
 * cannot be told apart from a credential, no host is shown either.
 */
export function redact(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (!scheme) return '(not shown)';
  const rest = url.slice(scheme[0].length);
  const at = rest.lastIndexOf('@');
  const afterAt = rest.slice(at + 1);
  const host = /^[^/?#]*/.exec(afterAt)![0];
  const tail = afterAt.slice(host.length);
  const db = /^\/(\d{1,2})$/.exec(tail);
  const credentials = at >= 0 ? '***@' : '';
  // A '?' or '#' before the last '@', or anything but a database after the host, may mean the
  // split is not where the URL's author meant it.
  const plain = /^[A-Za-z0-9._-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host) && !/[?#]/.test(rest.slice(0, Math.max(at, 0)));
  if (!plain || (tail && !db)) return `${scheme[1].toLowerCase()}://${credentials}(host not shown)`;
  return `${scheme[1].toLowerCase()}://${credentials}${host}${db ? `/${db[1]}` : ''}`;
}

/**
 * Removes anything of the URL's credentials from a message: what precedes the last '@' and each
 * part of it, raw and percent-decoded.
 */
export function scrubber(url: string): (text: string) => string {
  const rest = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const at = rest.lastIndexOf('@');
  const userinfo = at >= 0 ? rest.slice(0, at) : '';
  const secrets = new Set<string>();
  const add = (s: string) => {
    if (s.length >= 3) secrets.add(s);
    try {
      const decoded = decodeURIComponent(s);
      if (decoded.length >= 3) secrets.add(decoded);
    } catch {
      // A malformed encoding is only ever shown raw.
    }
  };
  add(userinfo);
  for (const part of userinfo.split(':')) add(part);
  const colon = userinfo.indexOf(':');
  if (colon >= 0) add(userinfo.slice(colon + 1));
  // The longest first, so that no piece of a longer secret is left behind.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text.split(url).join(redact(url));
    for (const secret of ordered) out = out.split(secret).join('***');
    return out;
  };
}

/**
 * A Redis that is reconnecting may leave a command unanswered: waits for `promise` at most
 * `timeoutMs`, then fails with `message`.
 */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** 'ok', or why not, for /ready: both connections must answer. */
export async function pingRedis(redis: RedisClients, timeoutMs = 1000): Promise<string> {
  try {
    for (const client of [redis.publish, redis.subscribe]) {
      if (client.status !== 'ready') return `unreachable: ${client.status}`;
      await withTimeout(client.ping(), timeoutMs, 'no answer');
    }
    return 'ok';
  } catch (error) {
    return `unreachable: ${error instanceof Error && error.message === 'no answer' ? 'no answer' : 'command failed'}`;
  }
}
