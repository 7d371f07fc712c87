import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { LATEST_TIME } from './clock.js';
import type { EmulatorState } from './store/records.js';
import { firstProblem, isObject } from './validate.js';

/**
 * A collection keyed by name, each entry checked with `entry` and, when `keyField` is given,
 * required to carry its own key there. zod's record would drop a `__proto__` key unchecked;
 * Object.entries sees it like any other.
 */
function collection(entry: z.ZodType, keyField?: string) {
  return z.unknown().superRefine((input, ctx) => {
    if (!isObject(input)) {
      const got = Array.isArray(input) ? 'a list' : input === undefined ? 'nothing' : typeof input;
      ctx.addIssue({ code: 'custom', message: `expected an object keyed by name, got ${got}` });
      return;
    }
    for (const [key, value] of Object.entries(input)) {
      const parsed = entry.safeParse(value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          ctx.addIssue({ ...issue, path: [key, ...issue.path] } as z.core.$ZodRawIssue);
        }
        return;
      }
      if (keyField && (value as Record<string, unknown>)[keyField] !== key) {
        const message = `must equal the key it is stored under, ${JSON.stringify(key)}`;
        ctx.addIssue({ code: 'custom', path: [key, keyField], message });
        return;
      }
    }
  });
}

const time = z.iso.datetime();
// Finite: JSON has no Infinity, and a time past the Date range would fail every call that shows it.
const millis = z.number().min(0).max(8.64e15);
const json = z.record(z.string(), z.unknown());
const names = z.array(z.string());

const api = z.object({
  resourceName: z.string(),
  resourceConfig: json,
  generated: z.object({ models: z.string(), modelIntrospectionSchema: z.string(), transformSchema: z.string() }).optional(),
});
const auth = z.object({
  resourceName: z.string(),
  resourceConfig: json,
  imported: z
    .object({ userPoolId: z.string(), webClientId: z.string(), nativeClientId: z.string(), identityPoolId: z.string().optional() })
    .optional(),
});
const storage = z.object({ resourceName: z.string(), bucketName: z.string(), imported: z.boolean(), permissions: json.optional() });
const category = z.enum(['api', 'auth', 'storage']);

const environment = z.object({
  name: z.string(),
  createTime: time,
  featureFlags: json,
  api: collection(api, 'resourceName'),
  auth: collection(auth, 'resourceName'),
  storage: collection(storage, 'resourceName'),
});

const app = z.object({
  appId: z.string(),
  appName: z.string(),
  createTime: time.optional(),
  environments: collection(environment, 'name'),
  config: z.object({ backendManagerAppId: z.string(), loginAuthConfig: z.record(z.string(), z.string()).optional() }).optional(),
});

const effect = z.discriminatedUnion('type', [
  z.object({ type: z.literal('addEnvironment'), appId: z.string(), environmentName: z.string() }),
  z.object({ type: z.literal('cloneEnvironment'), appId: z.string(), from: z.string(), to: z.string() }),
  z.object({ type: z.literal('removeEnvironment'), appId: z.string(), environmentName: z.string() }),
  z.object({ type: z.literal('removeAllEnvironments'), appId: z.string(), cleanAmplifyApp: z.boolean() }),
  z.object({
    type: z.literal('putResource'),
    appId: z.string(),
    environmentName: z.string(),
    category,
    record: z.union([storage, auth, api]),
  }),
  z.object({ type: z.literal('removeResource'), appId: z.string(), environmentName: z.string(), category, resourceName: z.string() }),
  z.object({ type: z.literal('generateModels'), appId: z.string(), environmentName: z.string(), resourceName: z.string() }),
  z.object({ type: z.literal('createConfig'), appId: z.string(), backendManagerAppId: z.string() }),
]);

const job = z.object({
  jobId: z.string(),
  appId: z.string(),
  environmentNames: names,
  operation: z.string(),
  status: z.string(),
  createTime: time,
  updateTime: time,
  error: z.string().optional(),
  completesAt: millis,
  failWith: z.string().optional(),
  effect: effect.optional(),
});

const token = z.object({
  appId: z.string(),
  sessionId: z.string(),
  challengeCode: z.string(),
  ttl: z.string(),
  expiresAt: millis,
});

const bucket = z.object({ name: z.string(), creationDate: time });

/** What a saved state must look like for every operation to answer from it. */
export const savedState = z.object({
  version: z.literal(1, { error: 'must be 1 (the only state format there is)' }),
  apps: collection(app, 'appId'),
  jobs: collection(job, 'jobId'),
  tokens: collection(token, 'sessionId'),
  buckets: collection(bucket, 'name'),
  clock: z.number().int().min(0).max(LATEST_TIME).optional(),
});

/** Why `state` is not an emulator state, or undefined when it is. */
export function stateProblem(state: unknown): string | undefined {
  const parsed = savedState.safeParse(state);
  return parsed.success ? undefined : firstProblem(parsed.error);
}

/** Reads a saved state; a missing file means a first start, a broken one stops the start. */
export async function loadStateFile(file: string): Promise<EmulatorState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read emulator state file ${file}: ${(error as Error).message}`);
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (error) {
    throw new Error(`emulator state file ${file} is not valid JSON (${(error as Error).message}); move it away to start fresh`);
  }
  const problem = stateProblem(state);
  if (problem) {
    throw new Error(`emulator state file ${file} is not a valid emulator state: ${problem}; fix it or move it away to start fresh`);
  }
  // The parsed JSON itself, not zod's copy: zod rebuilds objects by assignment, which loses `__proto__` keys.
  return state as EmulatorState;
}

/** Saves a state file atomically (write, then rename); saves are chained so two never interleave. */
export function createStateWriter(file: string) {
  let sequence = 0;
  let last: Promise<void> = Promise.resolve();
  return (state: EmulatorState): Promise<void> => {
    const next = last.then(async () => {
      const tmp = `${file}.${process.pid}.${++sequence}.tmp`;
      await mkdir(dirname(file), { recursive: true });
      await writeFile(tmp, JSON.stringify(state));
      await rename(tmp, file);
    });
    last = next.catch(() => undefined);
    return next;
  };
}
