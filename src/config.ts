import { z } from 'zod';
import { appPatternProblem } from './security/app-access.js';
import type { PollingOptions } from './jobs/watcher.js';
import type { LiveQueryOptions } from './live/live-queries.js';
import type { TracingConfig } from './observability/tracing.js';
import { parseTrustProxy, type TrustProxy } from './security/client-address.js';
import { parseCorsOrigins } from './security/cors.js';
import { regionConfig, regionSettingProblems, regionSettings, type AccountConfig } from './config-regions.js';

/** Where the gateway's AmplifyBackend calls go. */
export type UpstreamConfig =
  | {
      /**
       * An in-process emulator, seeded with demo apps: the default with no AWS settings. It has no
       * authentication, so it listens on 127.0.0.1 only, whatever HOST is; there is no setting to
       * move it (run `npm run emulator -- --host` and point AWS_ENDPOINT_URL_AMPLIFYBACKEND at it).
       */
      kind: 'embedded';
      emulatorPort: number;
      jobSeconds: number;
      stateFile?: string;
    }
  | {
      kind: 'aws';
      region?: string;
      endpoint?: string;
      /** Without them, the SDK's default credential chain. */
      credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
      /** The setting that chose AWS, named by every refusal along with the way back to the emulator. */
      chosenBy?: AwsChosenBy;
      /** Refuse to start when the default chain finds no credentials, instead of warning. @default false */
      requireCredentials?: boolean;
      /** Every region of the gateway's own account, the default (`region`) first (AMPLIFY_REGIONS). @default [region] */
      regions?: string[];
      /** An endpoint per region of the gateway's own account (AMPLIFY_REGION_ENDPOINTS); `endpoint` is the default region's. */
      regionEndpoints?: Record<string, string>;
      /** Other accounts, reached by assuming a role (AMPLIFY_ACCOUNTS or AMPLIFY_ACCOUNTS_FILE). */
      accounts?: AccountConfig[];
      /** Where AssumeRole goes (AWS_ENDPOINT_URL_STS): a test's stand-in. */
      stsEndpoint?: string;
    };

export type AwsChosenBy = 'UPSTREAM' | 'AWS_REGION' | 'AWS_ENDPOINT_URL_AMPLIFYBACKEND';

export type Scope = 'read' | 'write' | 'admin';
export const scopes: readonly Scope[] = ['read', 'write', 'admin'];

export interface AccessConfig {
  /** API keys, the scopes each grants and the apps it may use (app ids or `prefix*`; `*`, or none given, for every app). */
  apiKeys: { key: string; scopes: Scope[]; apps?: string[] }[];
  /** JWT bearer tokens, HS256 with `secret` or any JWKS algorithm with `jwksUrl`; scopes from `scope`. */
  jwt?: {
    secret?: string;
    jwksUrl?: string;
    issuer?: string;
    audience?: string;
    /** Refuse tokens without an `exp` claim: such a token, once leaked, works forever. @default true */
    requireExp?: boolean;
    /** The claim that lists the apps a token may use; unset, every token may use every app. */
    appsClaim?: string;
    /** The apps of a token without `appsClaim`: every app, or none. @default 'none' */
    appsDefault?: 'all' | 'none';
  };
  /** Run open (every caller has every scope) even against AWS. @default false */
  insecure: boolean;
  /**
   * Failed authentications (no, a malformed or a wrong credential) per client address and minute;
   * past them the address gets 429 without its credential being checked. 0 turns it off. @default 60
   */
  authFailuresPerMinute: number;
  /** Failed authentications an address may make at once before that rate applies. @default 30 */
  authFailureBurst: number;
}

export interface LimitsConfig {
  /** @default 15 */
  maxDepth: number;
  /** @default 50 */
  maxAliases: number;
  /** @default 5000 */
  maxTokens: number;
  /**
   * graphql-armor's cost heuristic (objects 2, scalars 1, times depth), with list lengths known;
   * 0 turns it off, as it is by default: MAX_UPSTREAM_CALLS is the guard. @default 0
   */
  maxCost: number;
  /** Upstream calls one request may make: refused beforehand by its estimate, and stopped at while it runs. @default 250 */
  maxUpstreamCalls: number;
  /** A client's budget of upstream calls: refilled this many a minute; 0 turns it off. @default 1200 */
  upstreamCallsPerMinute: number;
  /** The budget's size: the calls a client may spend at once. At least maxUpstreamCalls. @default 600 */
  upstreamCallsBurst: number;
  /** Every response carries `extensions.cost`. @default true */
  costExtensions: boolean;
  /** @default 50 */
  maxDirectives: number;
  /** Items of any one list in an operation's arguments, literal or from variables. @default 100 */
  maxListItems: number;
  /** Largest request body. @default 2 MiB */
  maxBodyBytes: number;
  /** Operations in one batched request; 0 turns batching off. @default 10 */
  maxBatch: number;
  /** Largest `variables` of one operation, as JSON. @default 1.5 MiB */
  maxVariablesBytes: number;
  /** Requests per client and minute (token bucket); 0 turns it off. @default 1200 */
  rateLimitPerMinute: number;
  /** Requests a client may send at once before the rate applies. @default 200 */
  rateLimitBurst: number;
  /** @default true */
  introspection: boolean;
  /** A JSON file `{ "<sha256 hash>": "query ..." }` of persisted operations (keys may be `sha256:<hex>`). */
  persistedOperationsFile?: string;
  /** Accept only persisted operations. @default false */
  requirePersistedOperations: boolean;
}

export interface ResilienceConfig {
  /** Upstream calls in flight at once; more wait in a queue. @default 16 */
  maxConcurrency: number;
  /** Calls that may wait; past that they fail fast with RATE_LIMITED. @default 1000 */
  maxQueue: number;
  /**
   * Calls one client (API key, token subject, or address when open) may have waiting. Waiting
   * costs other clients no turns (the queue serves clients in rotation): the cap bounds one
   * client's share of the queue's memory, and is high enough for one request's widest batch
   * (100 list items, each with a few resources). @default 500
   */
  maxQueuePerClient: number;
  /** Failure rate, in percent of calls in the last 10 s, that opens the circuit. @default 50 */
  breakerErrorPercent: number;
  /** Calls in the window before the rate counts. @default 10 */
  breakerMinCalls: number;
  /** How long the open circuit fails fast before it tries again. @default 10000 */
  breakerResetMs: number;
  /** The clock breakerResetMs is measured on (tests advance one; no setting). @default Date.now */
  now?: () => number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface GatewayConfig {
  /** @default 4000 */
  port: number;
  /** @default '127.0.0.1' */
  host: string;
  /**
   * Proxies trusted to name their client in X-Forwarded-For (a hop count, or their addresses and
   * networks), for rate limits, failed-authentication limits and logs. @default 0 (none)
   */
  trustProxy: TrustProxy;
  /**
   * Origins whose pages may call the gateway from a browser (CORS, and the Origin of a WebSocket
   * upgrade): `https://app.example.com`, `https://*.example.com` for subdomains, `*` for any.
   * @default any origin when the gateway is open, none when it asks for a credential
   */
  corsOrigins?: string[];
  /** Serve the example pages under /examples/ (examples/job-progress). @default false */
  examples: boolean;
  upstream: UpstreamConfig;
  /** Attempts per upstream call, the first included (the SDK's standard retry). @default 3 */
  upstreamMaxAttempts: number;
  /** @default 10000 */
  upstreamTimeoutMs: number;
  /**
   * How long an upstream read (apps, environments, resources, models, buckets; never jobs or
   * tokens) is kept for other requests. Writes through any instance, and jobs a poller sees
   * finish, forget their app's on every instance; a change made outside the gateway shows after
   * at most this long. 0 shares only reads in flight. @default 5000 (README: the read cache)
   */
  upstreamCacheTtlMs: number;
  /** Serve GraphiQL on GET /graphql. @default true */
  graphiql: boolean;
  /** GraphiQL page views per client address and minute (each a 2 MB compressed page); 0 turns it off. @default 20 */
  graphiqlPerMinute: number;
  /**
   * Serve the common request (POST /graphql, one JSON operation) beside yoga's fetch layer
   * (src/fast-path.ts), with the same plugins and answers; off sends every request through yoga. @default true
   */
  fastPath: boolean;
  /** Redis for job events and poller leases across instances; in memory without it. */
  redisUrl?: string;
  /** Prefix of every Redis key and channel the gateway uses. @default 'amplifybackend-graphql:' */
  redisPrefix: string;
  /** How job subscriptions poll upstream. */
  jobPolling: PollingOptions;
  /** How long a poller's Redis lease lasts unless renewed; another instance takes over after it. @default 10000 */
  jobLeaseMs: number;
  /** A job still running this long after its createTime is `stuck`. @default 1800 */
  jobStuckAfterSeconds: number;
  /** `query @live`: how many one client may hold open, and how often one may run again. */
  liveQueries: LiveQueryOptions;
  access: AccessConfig;
  limits: LimitsConfig;
  resilience: ResilienceConfig;
  /** @default 'info' */
  logLevel: LogLevel;
  /** How long a stop waits for requests in flight before closing their sockets. @default 10000 */
  shutdownGraceMs: number;
  /** When set, GET /metrics needs `Authorization: Bearer <metricsToken>`; open without it. */
  metricsToken?: string;
  /** OpenTelemetry traces over OTLP/HTTP; off without it. */
  tracing?: TracingConfig;
}

/**
 * Five seconds: a dashboard that reloads every few seconds, or a page that fans out to the same
 * app from many components, is answered from one read, while a change made outside the gateway
 * (the Amplify console, the CLI) shows within 5 s, sooner than anyone reloads by hand.
 */
export const defaultCacheTtlMs = 5000;

export const defaultConfig = (): GatewayConfig => ({
  port: 4000,
  host: '127.0.0.1',
  trustProxy: 0,
  examples: false,
  upstream: { kind: 'embedded', emulatorPort: 4010, jobSeconds: 3 },
  upstreamMaxAttempts: 3,
  upstreamTimeoutMs: 10_000,
  upstreamCacheTtlMs: defaultCacheTtlMs,
  graphiql: true,
  graphiqlPerMinute: 20,
  fastPath: true,
  redisPrefix: 'amplifybackend-graphql:',
  jobPolling: { minIntervalMs: 1000, maxIntervalMs: 15_000, outageAfter: 5 },
  jobLeaseMs: 10_000,
  jobStuckAfterSeconds: 1800,
  liveQueries: { maxPerClient: 10, minIntervalMs: 1000 },
  access: { apiKeys: [], insecure: false, authFailuresPerMinute: 60, authFailureBurst: 30 },
  limits: {
    maxDepth: 15,
    maxAliases: 50,
    maxTokens: 5000,
    maxCost: 0,
    maxUpstreamCalls: 250,
    upstreamCallsPerMinute: 1200,
    upstreamCallsBurst: 600,
    costExtensions: true,
    maxDirectives: 50,
    maxListItems: 100,
    maxBodyBytes: 2 * 1024 * 1024,
    maxBatch: 10,
    maxVariablesBytes: 1.5 * 1024 * 1024,
    rateLimitPerMinute: 1200,
    rateLimitBurst: 200,
    introspection: true,
    requirePersistedOperations: false,
  },
  resilience: { maxConcurrency: 16, maxQueue: 1000, maxQueuePerClient: 500, breakerErrorPercent: 50, breakerMinCalls: 10, breakerResetMs: 10_000 },
  logLevel: 'info',
  shutdownGraceMs: 10_000,
});

type Overrides = Partial<Omit<GatewayConfig, 'access' | 'limits' | 'resilience'>> & {
  access?: Partial<AccessConfig>;
  limits?: Partial<LimitsConfig>;
  resilience?: Partial<ResilienceConfig>;
};

/** A full config from a partial one, for tests and embedding; nested settings merge. */
export function defineConfig(partial: Overrides = {}): GatewayConfig {
  const base = defaultConfig();
  return {
    ...base,
    ...partial,
    access: { ...base.access, ...partial.access },
    limits: { ...base.limits, ...partial.limits },
    resilience: { ...base.resilience, ...partial.resilience },
  };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const port = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a port number` })
    .int(`${name} must be a whole number`)
    .min(0, `${name} must be from 0 to 65535`)
    .max(65535, `${name} must be from 0 to 65535`);

const int = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be a whole number from ${min} to ${max}` })
    .refine((n) => Number.isInteger(n) && n >= min && n <= max, `${name} must be a whole number from ${min} to ${max}`);

const bool = (name: string) =>
  z.enum(['true', 'false', '1', '0'], { error: `${name} must be true or false` }).transform((v) => v === 'true' || v === '1');

const httpUrl = (name: string) =>
  z
    .url({ error: `${name} must be a URL` })
    .refine((v) => /^https?:\/\//.test(v), `${name} must be an http:// or https:// URL`);

/**
 * `key1=read,key2=read+write@app1+team-a-*,key3=read+write+admin`: a key, its scopes, and after `@`
 * the apps it may use (every app without one).
 */
function parseApiKeys(text: string, ctx: z.RefinementCtx): AccessConfig['apiKeys'] {
  const keys: AccessConfig['apiKeys'] = [];
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const at = entry.lastIndexOf('=');
    const key = at > 0 ? entry.slice(0, at) : '';
    const rest = at > 0 ? entry.slice(at + 1) : '';
    const appsAt = rest.indexOf('@');
    const grant = appsAt < 0 ? rest : rest.slice(0, appsAt);
    const appList = appsAt < 0 ? undefined : rest.slice(appsAt + 1);
    const granted = grant ? grant.split('+').map((s) => s.trim()) : [];
    const apps = appList === undefined ? ['*'] : appList.split('+').map((s) => s.trim());
    // The message never repeats the key: it is a secret.
    const which = `entry ${keys.length + 1}`;
    const badApp = apps.find((a) => appPatternProblem(a));
    if (key.length < 16) {
      ctx.addIssue({ code: 'custom', message: `GATEWAY_API_KEYS ${which}: a key must be at least 16 characters, then =scopes` });
    } else if (granted.length === 0 || granted.some((s) => !scopes.includes(s as Scope))) {
      ctx.addIssue({ code: 'custom', message: `GATEWAY_API_KEYS ${which}: scopes must be read, write or admin joined with +` });
    } else if (badApp !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `GATEWAY_API_KEYS ${which}: after @ come app ids joined with + (${JSON.stringify(badApp.slice(0, 60))}: ${appPatternProblem(badApp)})`,
      });
    } else if (keys.some((k) => k.key === key)) {
      ctx.addIssue({ code: 'custom', message: `GATEWAY_API_KEYS ${which}: the same key is listed twice` });
    } else {
      keys.push({ key, scopes: [...new Set(granted as Scope[])], apps: [...new Set(apps)] });
    }
  }
  return keys;
}

/** Settings that take a whole number: [min, max, default]. */
const wholeNumbers = {
  UPSTREAM_MAX_ATTEMPTS: [1, 10, 3],
  UPSTREAM_CACHE_TTL_MS: [0, 3_600_000, defaultCacheTtlMs],
  UPSTREAM_MAX_CONCURRENCY: [1, 1000, 16],
  UPSTREAM_MAX_QUEUE: [0, 100_000, 1000],
  UPSTREAM_MAX_QUEUE_PER_CLIENT: [0, 100_000, 500],
  BREAKER_ERROR_PERCENT: [1, 100, 50],
  BREAKER_MIN_CALLS: [1, 10_000, 10],
  BREAKER_RESET_MS: [100, 600_000, 10_000],
  JOB_POLL_MIN_MS: [10, 60_000, 1000],
  JOB_POLL_MAX_MS: [10, 600_000, 15_000],
  JOB_POLL_OUTAGE_AFTER: [1, 100, 5],
  JOB_LEASE_MS: [100, 600_000, 10_000],
  JOB_STUCK_AFTER_SECONDS: [1, 604_800, 1800],
  MAX_DEPTH: [1, 100, 15],
  MAX_ALIASES: [1, 10_000, 50],
  MAX_TOKENS: [10, 1_000_000, 5000],
  MAX_COST: [0, 10_000_000, 0],
  MAX_UPSTREAM_CALLS: [1, 100_000, 250],
  UPSTREAM_CALLS_PER_MINUTE: [0, 1_000_000, 1200],
  UPSTREAM_CALLS_BURST: [1, 1_000_000, 600],
  MAX_DIRECTIVES: [1, 10_000, 50],
  MAX_LIST_ITEMS: [1, 100_000, 100],
  MAX_BODY_BYTES: [1024, 100 * 1024 * 1024, 2 * 1024 * 1024],
  MAX_BATCH: [0, 1000, 10],
  MAX_VARIABLES_BYTES: [2, 100 * 1024 * 1024, 1.5 * 1024 * 1024],
  RATE_LIMIT_PER_MINUTE: [0, 1_000_000, 1200],
  RATE_LIMIT_BURST: [1, 1_000_000, 200],
  AUTH_FAILURES_PER_MINUTE: [0, 1_000_000, 60],
  AUTH_FAILURE_BURST: [1, 1_000_000, 30],
  GRAPHIQL_PER_MINUTE: [0, 1_000_000, 20],
  SHUTDOWN_GRACE_MS: [0, 600_000, 10_000],
  MAX_LIVE_QUERIES_PER_CLIENT: [0, 10_000, 10],
  LIVE_QUERY_MIN_INTERVAL_MS: [0, 3_600_000, 1000],
} satisfies Record<string, [min: number, max: number, fallback: number]>;

/** The table's settings as zod schemas, each named in its messages. */
function wholeNumberSettings<T extends Record<string, [min: number, max: number, fallback: number]>>(table: T) {
  const entries = Object.entries(table).map(([name, [min, max, fallback]]) => [name, int(name, min, max).default(fallback)]);
  // Object.fromEntries forgets the keys, which are the table's.
  return Object.fromEntries(entries) as { [K in keyof T]: z.ZodDefault<ReturnType<typeof int>> };
}

const env = z
  .object({
    PORT: port('PORT').default(4000),
    UPSTREAM: z.enum(['emulator', 'aws'], { error: 'UPSTREAM must be emulator or aws' }).optional(),
    REQUIRE_AWS_CREDENTIALS: bool('REQUIRE_AWS_CREDENTIALS').default(false),
    HOST: z.string().trim().min(1, 'HOST must not be empty').default('127.0.0.1'),
    TRUST_PROXY: z.string().transform((text, ctx): TrustProxy => {
      const parsed = parseTrustProxy(text);
      if (parsed.ok) return parsed.value;
      for (const message of parsed.problems) ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }).default(0),
    CORS_ORIGINS: z.string().transform((text, ctx) => {
      const parsed = parseCorsOrigins(text);
      if (parsed.ok) return parsed.value;
      for (const message of parsed.problems) ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }).optional(),
    EXAMPLES: bool('EXAMPLES').default(false),
    AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'AWS_REGION must look like us-east-1').optional(),
    AWS_ENDPOINT_URL_AMPLIFYBACKEND: z
      .url({ error: 'AWS_ENDPOINT_URL_AMPLIFYBACKEND must be a URL' })
      .refine((v) => /^https?:\/\//.test(v), 'AWS_ENDPOINT_URL_AMPLIFYBACKEND must be a URL')
      .optional(),
    EMULATOR_PORT: port('EMULATOR_PORT').default(4010),
    EMULATOR_JOB_SECONDS: z.coerce
      .number({ error: 'EMULATOR_JOB_SECONDS must be a number of seconds' })
      .min(0, 'EMULATOR_JOB_SECONDS must be >= 0')
      .max(3600, 'EMULATOR_JOB_SECONDS must be at most 3600')
      .default(3),
    EMULATOR_STATE: z.string().min(1).optional(),
    UPSTREAM_TIMEOUT_MS: z.coerce
      .number({ error: 'UPSTREAM_TIMEOUT_MS must be from 100 to 120000' })
      .int('UPSTREAM_TIMEOUT_MS must be from 100 to 120000')
      .min(100, 'UPSTREAM_TIMEOUT_MS must be from 100 to 120000')
      .max(120_000, 'UPSTREAM_TIMEOUT_MS must be from 100 to 120000')
      .default(10_000),
    GRAPHIQL: bool('GRAPHIQL').default(true),
    FAST_PATH: bool('FAST_PATH').default(true),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\/.+/, 'REDIS_URL must be a redis:// or rediss:// URL')
      .optional(),
    REDIS_PREFIX: z.string().min(1).max(100).default('amplifybackend-graphql:'),
    GATEWAY_API_KEYS: z.string().transform(parseApiKeys).optional(),
    GATEWAY_JWT_SECRET: z.string().min(32, 'GATEWAY_JWT_SECRET must be at least 32 characters').optional(),
    GATEWAY_JWKS_URL: httpUrl('GATEWAY_JWKS_URL').optional(),
    GATEWAY_JWT_ISSUER: z.string().min(1).optional(),
    GATEWAY_JWT_AUDIENCE: z.string().min(1).optional(),
    GATEWAY_JWT_REQUIRE_EXP: bool('GATEWAY_JWT_REQUIRE_EXP').default(true),
    GATEWAY_JWT_APPS_CLAIM: z
      .string()
      .regex(/^[\w:./-]{1,100}$/, 'GATEWAY_JWT_APPS_CLAIM must be a claim name (letters, digits, _ : . / -)')
      .optional(),
    GATEWAY_JWT_APPS_DEFAULT: z
      .enum(['all', 'none'], { error: 'GATEWAY_JWT_APPS_DEFAULT must be all or none' })
      .default('none'),
    GATEWAY_INSECURE: bool('GATEWAY_INSECURE').default(false),
    METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
    INTROSPECTION: bool('INTROSPECTION').default(true),
    COST_EXTENSIONS: bool('COST_EXTENSIONS').default(true),
    PERSISTED_OPERATIONS_FILE: z.string().min(1).optional(),
    REQUIRE_PERSISTED_OPERATIONS: bool('REQUIRE_PERSISTED_OPERATIONS').default(false),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
    ...wholeNumberSettings(wholeNumbers),
    // OpenTelemetry's own names: https://opentelemetry.io/docs/specs/otel/protocol/exporter/
    OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT').optional(),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT').optional(),
    OTEL_SERVICE_NAME: z.string().trim().min(1, 'OTEL_SERVICE_NAME must not be empty').default('amplifybackend-graphql'),
    OTEL_SDK_DISABLED: bool('OTEL_SDK_DISABLED').default(false),
    ...regionSettings,
  })
  .superRefine((e, ctx) => {
    if (e.JOB_POLL_MAX_MS < e.JOB_POLL_MIN_MS) {
      ctx.addIssue({ code: 'custom', path: ['JOB_POLL_MAX_MS'], message: 'JOB_POLL_MAX_MS must be at least JOB_POLL_MIN_MS' });
    }
    if (e.GATEWAY_JWT_SECRET && e.GATEWAY_JWKS_URL) {
      ctx.addIssue({ code: 'custom', path: ['GATEWAY_JWKS_URL'], message: 'GATEWAY_JWKS_URL and GATEWAY_JWT_SECRET exclude each other: set one' });
    }
    const aws = e.UPSTREAM === 'aws' || (e.UPSTREAM === undefined && (e.AWS_REGION !== undefined || e.AWS_ENDPOINT_URL_AMPLIFYBACKEND !== undefined));
    for (const [path, message] of regionSettingProblems(e, aws)) ctx.addIssue({ code: 'custom', path: [path], message });
    if (e.UPSTREAM_CALLS_PER_MINUTE > 0 && e.UPSTREAM_CALLS_BURST < e.MAX_UPSTREAM_CALLS) {
      ctx.addIssue({
        code: 'custom',
        path: ['UPSTREAM_CALLS_BURST'],
        message: `UPSTREAM_CALLS_BURST must be at least MAX_UPSTREAM_CALLS (${e.MAX_UPSTREAM_CALLS}): a request the limit allows must fit in a full budget`,
      });
    }
    if (e.REQUIRE_PERSISTED_OPERATIONS && !e.PERSISTED_OPERATIONS_FILE) {
      ctx.addIssue({ code: 'custom', path: ['REQUIRE_PERSISTED_OPERATIONS'], message: 'REQUIRE_PERSISTED_OPERATIONS needs PERSISTED_OPERATIONS_FILE' });
    }
  });

/**
 * Reads settings from the environment (and `--insecure` from the arguments); a bad value throws
 * a ConfigError naming it and what is allowed.
 */
export function loadConfig(source: Record<string, string | undefined> = process.env, argv: string[] = []): GatewayConfig {
  // An empty variable is treated as unset, as shells and .env files often leave them.
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  // The emulator chosen outright reads no AWS setting: one exported in the shell neither switches nor fails the start.
  if (present.UPSTREAM === 'emulator') {
    delete present.AWS_REGION;
    delete present.AWS_ENDPOINT_URL_AMPLIFYBACKEND;
    for (const name of Object.keys(regionSettings)) delete present[name];
  }
  const unknownFlags = argv.filter((a) => a !== '--insecure');
  if (unknownFlags.length > 0) throw new ConfigError(`unknown argument ${unknownFlags[0]}: the only flag is --insecure`);
  const parsed = env.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'config');
      return issue.message.includes(name) ? issue.message : `${name}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  - ${[...new Set(problems)].join('\n  - ')}`);
  }
  const e = parsed.data;
  // UPSTREAM wins; without it, an AWS setting chooses AWS, and says so in every refusal.
  const chosenBy: AwsChosenBy | undefined =
    e.UPSTREAM === 'aws'
      ? 'UPSTREAM'
      : e.UPSTREAM === 'emulator'
        ? undefined
        : e.AWS_REGION !== undefined
          ? 'AWS_REGION'
          : e.AWS_ENDPOINT_URL_AMPLIFYBACKEND !== undefined
            ? 'AWS_ENDPOINT_URL_AMPLIFYBACKEND'
            : undefined;
  const jwt =
    e.GATEWAY_JWT_SECRET || e.GATEWAY_JWKS_URL
      ? {
          secret: e.GATEWAY_JWT_SECRET,
          jwksUrl: e.GATEWAY_JWKS_URL,
          issuer: e.GATEWAY_JWT_ISSUER,
          audience: e.GATEWAY_JWT_AUDIENCE,
          requireExp: e.GATEWAY_JWT_REQUIRE_EXP,
          appsClaim: e.GATEWAY_JWT_APPS_CLAIM,
          appsDefault: e.GATEWAY_JWT_APPS_DEFAULT,
        }
      : undefined;
  // The signal's own endpoint is used as it is; the general one is a base for /v1/traces.
  const tracesUrl =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (e.OTEL_EXPORTER_OTLP_ENDPOINT && `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
  return {
    port: e.PORT,
    host: e.HOST,
    trustProxy: e.TRUST_PROXY,
    ...(e.CORS_ORIGINS ? { corsOrigins: e.CORS_ORIGINS } : {}),
    examples: e.EXAMPLES,
    upstream: chosenBy
      ? {
          kind: 'aws',
          region: e.AWS_REGION,
          endpoint: e.AWS_ENDPOINT_URL_AMPLIFYBACKEND,
          chosenBy,
          ...(e.REQUIRE_AWS_CREDENTIALS ? { requireCredentials: true } : {}),
          ...regionConfig(e),
        }
      : { kind: 'embedded', emulatorPort: e.EMULATOR_PORT, jobSeconds: e.EMULATOR_JOB_SECONDS, stateFile: e.EMULATOR_STATE },
    upstreamMaxAttempts: e.UPSTREAM_MAX_ATTEMPTS,
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
    upstreamCacheTtlMs: e.UPSTREAM_CACHE_TTL_MS,
    graphiql: e.GRAPHIQL,
    graphiqlPerMinute: e.GRAPHIQL_PER_MINUTE,
    fastPath: e.FAST_PATH,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    jobPolling: { minIntervalMs: e.JOB_POLL_MIN_MS, maxIntervalMs: e.JOB_POLL_MAX_MS, outageAfter: e.JOB_POLL_OUTAGE_AFTER },
    jobLeaseMs: e.JOB_LEASE_MS,
    jobStuckAfterSeconds: e.JOB_STUCK_AFTER_SECONDS,
    liveQueries: { maxPerClient: e.MAX_LIVE_QUERIES_PER_CLIENT, minIntervalMs: e.LIVE_QUERY_MIN_INTERVAL_MS },
    access: {
      apiKeys: e.GATEWAY_API_KEYS ?? [],
      ...(jwt ? { jwt } : {}),
      insecure: e.GATEWAY_INSECURE || argv.includes('--insecure'),
      authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
      authFailureBurst: e.AUTH_FAILURE_BURST,
    },
    limits: {
      maxDepth: e.MAX_DEPTH,
      maxAliases: e.MAX_ALIASES,
      maxTokens: e.MAX_TOKENS,
      maxCost: e.MAX_COST,
      maxUpstreamCalls: e.MAX_UPSTREAM_CALLS,
      upstreamCallsPerMinute: e.UPSTREAM_CALLS_PER_MINUTE,
      upstreamCallsBurst: e.UPSTREAM_CALLS_BURST,
      costExtensions: e.COST_EXTENSIONS,
      maxDirectives: e.MAX_DIRECTIVES,
      maxListItems: e.MAX_LIST_ITEMS,
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxBatch: e.MAX_BATCH,
      maxVariablesBytes: e.MAX_VARIABLES_BYTES,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      rateLimitBurst: e.RATE_LIMIT_BURST,
      introspection: e.INTROSPECTION,
      persistedOperationsFile: e.PERSISTED_OPERATIONS_FILE,
      requirePersistedOperations: e.REQUIRE_PERSISTED_OPERATIONS,
    },
    resilience: {
      maxConcurrency: e.UPSTREAM_MAX_CONCURRENCY,
      maxQueue: e.UPSTREAM_MAX_QUEUE,
      maxQueuePerClient: e.UPSTREAM_MAX_QUEUE_PER_CLIENT,
      breakerErrorPercent: e.BREAKER_ERROR_PERCENT,
      breakerMinCalls: e.BREAKER_MIN_CALLS,
      breakerResetMs: e.BREAKER_RESET_MS,
    },
    logLevel: e.LOG_LEVEL,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    metricsToken: e.METRICS_TOKEN,
    ...(tracesUrl && !e.OTEL_SDK_DISABLED ? { tracing: { url: tracesUrl, serviceName: e.OTEL_SERVICE_NAME } } : {}),
  };
}

/** Whether anybody is let in without a credential. */
export const isOpen = (config: GatewayConfig) => config.access.apiKeys.length === 0 && !config.access.jwt;
