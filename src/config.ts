import { z } from 'zod';
import type { PollingOptions } from './jobs/watcher.js';

/** Where the gateway's AmplifyBackend calls go. */
export type UpstreamConfig =
  | {
      /** An in-process emulator, seeded with demo apps: the default with no AWS settings. */
      kind: 'embedded';
      emulatorPort: number;
      emulatorHost: string;
      jobSeconds: number;
      stateFile?: string;
    }
  | {
      kind: 'aws';
      region?: string;
      endpoint?: string;
      /** Without them, the SDK's default credential chain. */
      credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    };

export interface GatewayConfig {
  /** @default 4000 */
  port: number;
  /** @default '127.0.0.1' */
  host: string;
  upstream: UpstreamConfig;
  /** Attempts per upstream call, the first included (the SDK's standard retry). @default 3 */
  upstreamMaxAttempts: number;
  /** @default 10000 */
  upstreamTimeoutMs: number;
  /** Serve GraphiQL on GET /graphql. @default true */
  graphiql: boolean;
  /** Redis for job events and poller leases across instances; in memory without it. */
  redisUrl?: string;
  /** Prefix of every Redis key and channel the gateway uses. @default 'amplifybackend-graphql:' */
  redisPrefix: string;
  /** How job subscriptions poll upstream. */
  jobPolling: PollingOptions;
  /** How long a poller's Redis lease lasts unless renewed; another instance takes over after it. @default 10000 */
  jobLeaseMs: number;
}

export const defaultConfig = (): GatewayConfig => ({
  port: 4000,
  host: '127.0.0.1',
  upstream: { kind: 'embedded', emulatorPort: 4010, emulatorHost: '127.0.0.1', jobSeconds: 3 },
  upstreamMaxAttempts: 3,
  upstreamTimeoutMs: 10_000,
  graphiql: true,
  redisPrefix: 'amplifybackend-graphql:',
  jobPolling: { minIntervalMs: 1000, maxIntervalMs: 15_000, outageAfter: 5 },
  jobLeaseMs: 10_000,
});

/** A full config from a partial one, for tests and embedding. */
export const defineConfig = (partial: Partial<GatewayConfig> = {}): GatewayConfig => ({ ...defaultConfig(), ...partial });

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const port = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a port number` })
    .int(`${name} must be a whole number`)
    .min(0, `${name} must be from 0 to 65535`)
    .max(65535, `${name} must be from 0 to 65535`);

const bool = (name: string) =>
  z.enum(['true', 'false', '1', '0'], { error: `${name} must be true or false` }).transform((v) => v === 'true' || v === '1');

const env = z.object({
  PORT: port('PORT').default(4000),
  HOST: z.string().min(1, 'HOST must not be empty').default('127.0.0.1'),
  AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'AWS_REGION must look like us-east-1').optional(),
  AWS_ENDPOINT_URL_AMPLIFYBACKEND: z.url({ error: 'AWS_ENDPOINT_URL_AMPLIFYBACKEND must be a URL' }).optional(),
  EMULATOR_PORT: port('EMULATOR_PORT').default(4010),
  EMULATOR_JOB_SECONDS: z.coerce
    .number({ error: 'EMULATOR_JOB_SECONDS must be a number of seconds' })
    .min(0, 'EMULATOR_JOB_SECONDS must be >= 0')
    .max(3600, 'EMULATOR_JOB_SECONDS must be at most 3600')
    .default(3),
  EMULATOR_STATE: z.string().min(1).optional(),
  UPSTREAM_MAX_ATTEMPTS: z.coerce.number().int().min(1, 'UPSTREAM_MAX_ATTEMPTS must be from 1 to 10').max(10, 'UPSTREAM_MAX_ATTEMPTS must be from 1 to 10').default(3),
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100, 'UPSTREAM_TIMEOUT_MS must be from 100 to 120000').max(120_000, 'UPSTREAM_TIMEOUT_MS must be from 100 to 120000').default(10_000),
  GRAPHIQL: bool('GRAPHIQL').default(true),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/.+/, 'REDIS_URL must be a redis:// or rediss:// URL')
    .optional(),
  REDIS_PREFIX: z.string().min(1).max(100).default('amplifybackend-graphql:'),
  JOB_POLL_MIN_MS: z.coerce.number().int().min(10, 'JOB_POLL_MIN_MS must be from 10 to 60000').max(60_000, 'JOB_POLL_MIN_MS must be from 10 to 60000').default(1000),
  JOB_POLL_MAX_MS: z.coerce.number().int().min(10, 'JOB_POLL_MAX_MS must be from 10 to 600000').max(600_000, 'JOB_POLL_MAX_MS must be from 10 to 600000').default(15_000),
  JOB_POLL_OUTAGE_AFTER: z.coerce.number().int().min(1, 'JOB_POLL_OUTAGE_AFTER must be from 1 to 100').max(100, 'JOB_POLL_OUTAGE_AFTER must be from 1 to 100').default(5),
  JOB_LEASE_MS: z.coerce.number().int().min(100, 'JOB_LEASE_MS must be from 100 to 600000').max(600_000, 'JOB_LEASE_MS must be from 100 to 600000').default(10_000),
}).refine((e) => e.JOB_POLL_MAX_MS >= e.JOB_POLL_MIN_MS, {
  message: 'JOB_POLL_MAX_MS must be at least JOB_POLL_MIN_MS',
  path: ['JOB_POLL_MAX_MS'],
});

/** Reads settings from the environment; a bad value throws a ConfigError naming it. */
export function loadConfig(source: Record<string, string | undefined> = process.env): GatewayConfig {
  // An empty variable is treated as unset, as shells and .env files often leave them.
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = env.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'config');
      return issue.message.includes(name) ? issue.message : `${name}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  const e = parsed.data;
  const useAws = e.AWS_REGION !== undefined || e.AWS_ENDPOINT_URL_AMPLIFYBACKEND !== undefined;
  return {
    port: e.PORT,
    host: e.HOST,
    upstream: useAws
      ? { kind: 'aws', region: e.AWS_REGION, endpoint: e.AWS_ENDPOINT_URL_AMPLIFYBACKEND }
      : { kind: 'embedded', emulatorPort: e.EMULATOR_PORT, emulatorHost: e.HOST, jobSeconds: e.EMULATOR_JOB_SECONDS, stateFile: e.EMULATOR_STATE },
    upstreamMaxAttempts: e.UPSTREAM_MAX_ATTEMPTS,
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
    graphiql: e.GRAPHIQL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    jobPolling: { minIntervalMs: e.JOB_POLL_MIN_MS, maxIntervalMs: e.JOB_POLL_MAX_MS, outageAfter: e.JOB_POLL_OUTAGE_AFTER },
    jobLeaseMs: e.JOB_LEASE_MS,
  };
}
