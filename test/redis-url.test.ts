import { execFile } from 'node:child_process';
import { inspect, promisify } from 'node:util';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, defineConfig } from '../src/config.js';
import { connectRedis, parseRedisUrl, redact } from '../src/redis.js';
import { createGateway } from '../src/server.js';
import { eventually, freePort, startRedisServer } from './helpers-redis.js';
import { fakeCredentials, scoped } from './helpers.js';

// No part of a Redis credential may appear in any output: start errors, logs, /ready.

/** Every substring of `secret` of `min` characters or more that occurs in `output`. */
function leaks(output: string, secret: string, min = 4): string[] {
  const found = new Set<string>();
  for (let i = 0; i + min <= secret.length; i++) if (output.includes(secret.slice(i, i + min))) found.add(secret.slice(i, i + min));
  return [...found];
}

/** Everything a failed start shows: the message, and what printing the error object shows. */
const shown = (error: unknown) => `${(error as Error).message}\n${inspect(error)}\n${String(error)}`;

function captureLogs() {
  const lines: string[] = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) }) };
}

describe('parseRedisUrl', () => {
  it.each([
    ['redis://127.0.0.1:6399', { host: '127.0.0.1', port: 6399, tls: false }],
    ['redis://localhost', { host: 'localhost', port: 6379, tls: false }],
    ['rediss://cache.example:6380/2', { host: 'cache.example', port: 6380, db: 2, tls: true }],
    ['redis://user:s3cret@h:1', { host: 'h', port: 1, username: 'user', password: 's3cret', tls: false }],
    ['redis://:pw@h', { host: 'h', port: 6379, password: 'pw', tls: false }],
    ['redis://:abc@SECRET@h:6399', { host: 'h', port: 6399, password: 'abc@SECRET', tls: false }],
    ['redis://:Pa%2FssSecret99@h:6399', { host: 'h', port: 6399, password: 'Pa/ssSecret99', tls: false }],
    ['redis://us%3Aer:p%3Aw@[::1]:7000', { host: '::1', port: 7000, username: 'us:er', password: 'p:w', tls: false }],
  ])('%s', (url, expected) => {
    expect(parseRedisUrl(url)).toEqual({ username: undefined, password: undefined, db: undefined, ...expected });
  });

  it.each([
    ['redis://user:Pa/ssSecret99@h:6399', 'percent-encode'],
    ['redis://:pw@h:6379/cache', 'database number'],
    ['redis://:pw@h:6379?password=other', 'options after ?'],
    ['http://:pw@h:6379', 'scheme'],
    ['redis://:p%ZZw@h', 'percent-encoding'],
  ])('refuses %s, saying why', (url, why) => {
    expect(() => parseRedisUrl(url)).toThrow(ConfigError);
    expect(() => parseRedisUrl(url)).toThrow(why);
  });
});

describe('redact', () => {
  it.each([
    ['redis://user:Pa/ssSecret99@host:6399', 'redis://***@host:6399'],
    ['redis://:abc@SECRETTAIL99@host:6399', 'redis://***@host:6399'],
    ['rediss://:a%40b@cache.example:6380/1', 'rediss://***@cache.example:6380/1'],
    ['redis://host:6379', 'redis://host:6379'],
    ['redis://redis_cache:6379/0', 'redis://redis_cache:6379/0'],
    ['redis://[::1]:6379', 'redis://[::1]:6379'],
    // The host cannot be told from a credential: none shown.
    ['redis://:pa?ss@host', 'redis://***@(host not shown)'],
    ['redis://host?password=secretvalue', 'redis://(host not shown)'],
    ['redis://:pw@host/secretpath', 'redis://***@(host not shown)'],
    ['not a url', '(not shown)'],
  ])('%s shows as %s', (url, expected) => {
    expect(redact(url)).toBe(expected);
  });
});

// Letters rare in messages and the characters that break URL parsing: a password's piece is told
// from the text around it.
const passwordChar = fc.constantFrom(...'qxzjkwvyQXZJKW/@:%?#!~&='.split(''));
const password = fc.string({ unit: passwordChar, minLength: 4, maxLength: 24 });
const shapes: ((pw: string, port: number) => string)[] = [
  (pw, port) => `redis://user:${pw}@127.0.0.1:${port}`,
  (pw, port) => `redis://:${pw}@127.0.0.1:${port}`,
  (pw, port) => `rediss://${pw}@127.0.0.1:${port}/1`,
  (pw, port) => `redis://:${encodeURIComponent(pw)}@127.0.0.1:${port}`,
  (pw, port) => `redis://user:${pw}@127.0.0.1:${port}?db=1`,
];

describe('REDIS_URL credentials in output', () => {
  it('never show in what a failed connection prints or logs, for any password (property)', async () => {
    const port = await freePort(); // nothing listens: the connection is refused
    await fc.assert(
      fc.asyncProperty(password, fc.integer({ min: 0, max: shapes.length - 1 }), async (pw, shape) => {
        const url = shapes[shape](pw, port);
        const { lines, logger } = captureLogs();
        let output = redact(url);
        try {
          const clients = await connectRedis(url, logger);
          clients.publish.disconnect();
          clients.subscribe.disconnect();
        } catch (error) {
          output += shown(error);
        }
        output += lines.join('\n');
        expect(leaks(output, pw)).toEqual([]);
        expect(leaks(output, encodeURIComponent(pw))).toEqual([]);
      }),
      { seed: 1206, numRuns: 60 },
    );
  });

  it.each([
    // The two URLs of issue 12: ioredis's `new URL` error carried the whole URL; the old redact
    // showed what followed the first '@'.
    ['redis://user:Pa/ssSecret99@127.0.0.1:PORT', 'Pa/ssSecret99'],
    ['redis://:abc@SECRETTAIL99@127.0.0.1:PORT', 'abc@SECRETTAIL99'],
  ])('never show when the gateway fails to start with %s', async (template, secret) => {
    const url = template.replace('PORT', String(await freePort()));
    const { lines } = captureLogs();
    const logs: string[] = [];
    const error = await createGateway(
      defineConfig({
        upstream: { kind: 'aws', endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: fakeCredentials },
        logLevel: 'debug',
        access: { insecure: true },
        redisUrl: url,
      }),
      { logDestination: { write: (line: string) => void logs.push(line) } },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(leaks(shown(error) + lines.join('') + logs.join(''), secret)).toEqual([]);
    expect((error as Error).message).toContain('REDIS_URL');
  });

  it('never show when `npm start` fails on a REDIS_URL with an unencoded password', async () => {
    const url = `redis://user:Pa/ssSecret99@127.0.0.1:${await freePort()}`;
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, REDIS_URL: url, PORT: '0', EMULATOR_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
    });
    const failed = (await run.then(
      () => undefined,
      (e: unknown) => e,
    )) as { code: number; stdout: string; stderr: string };
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('REDIS_URL');
    expect(leaks(failed.stdout + failed.stderr, 'Pa/ssSecret99')).toEqual([]);
  });

  it('never show when Redis refuses the password, at start or on a reconnection', async () => {
    const right = 'qxzjRightKwyv1';
    await using redis = await startRedisServer({ args: ['--requirepass', right] });
    const { lines, logger } = captureLogs();
    const wrong = await connectRedis(`redis://:qxzjWrongKwyv1@127.0.0.1:${redis.port}`, logger).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((wrong as Error).message).toMatch(/WRONGPASS|NOAUTH|invalid/i);
    expect(leaks(shown(wrong), 'qxzjWrongKwyv1')).toEqual([]);

    await using _clients = scoped(await connectRedis(`redis://:${right}@127.0.0.1:${redis.port}`, logger), (clients) => {
      clients.publish.disconnect();
      clients.subscribe.disconnect();
    });
    // Back with another password: every reconnection's AUTH is refused, an 'error' event whose
    // error carries AUTH's arguments.
    await redis.restart(['--requirepass', 'qxzjOtherKwyv2']);
    await eventually(() => lines.some((l) => l.includes('Redis unavailable')), 'the outage to be logged');
    expect(leaks(lines.join('\n'), right)).toEqual([]);
  });
});
