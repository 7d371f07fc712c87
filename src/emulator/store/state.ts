import type { Clock } from '../clock.js';
import { notFound } from '../errors.js';
import type {
  AppRecord,
  BucketRecord,
  Category,
  EmulatorState,
  EnvironmentRecord,
  JobRecord,
  ResourceRecords,
  TokenRecord,
} from './records.js';

// In memory every collection keyed by a client's string is a Map: a name such as `__proto__` or
// `constructor` is then just a name, never a property of Object.prototype. The plain-object
// EmulatorState is only the saved form, converted at the edges (load, replace, snapshot).
export interface AppState extends Omit<AppRecord, 'environments'> {
  environments: Map<string, EnvironmentState>;
}

export type EnvironmentState = Omit<EnvironmentRecord, Category> & { [C in Category]: Map<string, ResourceRecords[C]> };

export interface State {
  apps: Map<string, AppState>;
  jobs: Map<string, JobRecord>;
  tokens: Map<string, TokenRecord>;
  buckets: Map<string, BucketRecord>;
}

/** What every part of the store shares. `state` is replaced whole when a saved state is loaded. */
export interface StoreContext {
  state: State;
  readonly clock: Clock;
  /** Called on every change, so the server knows when the state file needs writing. */
  changed(): void;
  iso(ms?: number): string;
}

// Object.entries and Object.fromEntries define own properties, so a `__proto__` key survives both ways.
const toMap = <T, U>(record: Record<string, T>, convert: (value: T) => U) =>
  new Map(Object.entries(record).map(([key, value]) => [key, convert(value)]));
export const toRecord = <T, U>(map: Map<string, T>, convert: (value: T) => U): Record<string, U> =>
  Object.fromEntries([...map].map(([key, value]) => [key, convert(value)]));
const same = <T>(value: T) => value;

function environmentState({ api, auth, storage, ...rest }: EnvironmentRecord): EnvironmentState {
  return { ...rest, api: toMap(api, same), auth: toMap(auth, same), storage: toMap(storage, same) };
}

function environmentRecord({ api, auth, storage, ...rest }: EnvironmentState): EnvironmentRecord {
  return { ...rest, api: toRecord(api, same), auth: toRecord(auth, same), storage: toRecord(storage, same) };
}

export function fromSaved(saved: EmulatorState): State {
  const copy = structuredClone(saved);
  return {
    apps: toMap(copy.apps, ({ environments, ...app }) => ({ ...app, environments: toMap(environments, environmentState) })),
    jobs: toMap(copy.jobs, same),
    tokens: toMap(copy.tokens, same),
    buckets: toMap(copy.buckets, same),
  };
}

export function toSaved(state: State, clock: number): EmulatorState {
  return structuredClone({
    version: 1,
    apps: toRecord(state.apps, ({ environments, ...app }) => ({ ...app, environments: toRecord(environments, environmentRecord) })),
    jobs: toRecord(state.jobs, same),
    tokens: toRecord(state.tokens, same),
    buckets: toRecord(state.buckets, same),
    clock,
  });
}

export function findApp({ state }: StoreContext, appId: string): AppState {
  const found = state.apps.get(appId);
  if (!found) throw notFound('app', `App ${appId} not found`);
  return found;
}

export function findEnvironment(ctx: StoreContext, appId: string, environmentName: string): EnvironmentState {
  const found = findApp(ctx, appId).environments.get(environmentName);
  if (!found) throw notFound('environment', `Environment ${environmentName} not found in app ${appId}`);
  return found;
}

export function findResource<C extends Category>(
  ctx: StoreContext,
  appId: string,
  environmentName: string,
  category: C,
  resourceName: string,
) {
  const found = (findEnvironment(ctx, appId, environmentName)[category] as Map<string, ResourceRecords[C]>).get(resourceName);
  if (!found) {
    throw notFound(category, `${category} resource ${resourceName} not found in environment ${environmentName}`);
  }
  return found;
}
