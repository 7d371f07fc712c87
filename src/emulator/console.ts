// The two operations of the Amplify service itself (the console API, service `amplify`,
// 2017-07-25) that the gateway needs to list apps: ListApps and GetApp. The emulator's apps are
// the apps its AmplifyBackend side knows, so both APIs describe one account in one region.
// Checked against the SDK's own model (@aws-sdk/client-amplify) in test/emulator-console.test.ts.
import { badRequest, ServiceError } from './errors.js';
import { segmentProblem } from './validate.js';
import type { AppState } from './store/state.js';
import type { OperationName } from './wire-model.js';

export type ConsoleOperationName = 'ListApps' | 'GetApp';

/** Every operation the emulator serves, for its stats and faults. */
export type ServedOperationName = OperationName | ConsoleOperationName;

export const consoleOperations = [
  { name: 'ListApps', method: 'GET', uri: '/apps' },
  { name: 'GetApp', method: 'GET', uri: '/apps/{appId}' },
] as const satisfies readonly { name: ConsoleOperationName; method: string; uri: string }[];

/** The model's bounds of ListApps' query members. */
export const MAX_LIST_APPS_RESULTS = 100;
export const MAX_NEXT_TOKEN_LENGTH = 2000;

export type ConsoleMatch =
  | { operation: 'ListApps'; query: { maxResults?: number; nextToken?: string } }
  | { operation: 'GetApp'; appId: string };

/**
 * The console operation a raw request target names, undefined for any other path (AmplifyBackend's
 * start with /backend or /s3Buckets, so the two never overlap). A wrong method is a 405 here.
 */
export function matchConsoleRoute(method: string, target: string, onWrongMethod: () => void): ConsoleMatch | undefined {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const parts = path.split('/');
  if (parts[1] !== 'apps' || parts.length > 3) return undefined;
  if (method !== 'GET') {
    onWrongMethod();
    throw new ServiceError('MethodNotAllowedException', 405, `Method ${method} is not allowed on ${path}; use GET`);
  }
  if (parts.length === 2) return { operation: 'ListApps', query: listAppsQuery(q < 0 ? '' : target.slice(q + 1)) };
  let appId: string;
  try {
    appId = decodeURIComponent(parts[2]);
  } catch {
    throw badRequest('Path member appId is not valid percent-encoded UTF-8');
  }
  const problem = segmentProblem(appId);
  if (problem) throw badRequest(`Path member appId ${problem}`);
  return { operation: 'GetApp', appId };
}

function listAppsQuery(search: string): { maxResults?: number; nextToken?: string } {
  // URLSearchParams reads a malformed escape as itself rather than throwing: a token of it is then
  // simply not one the emulator issued.
  const params = new URLSearchParams(search);
  const out: { maxResults?: number; nextToken?: string } = {};
  const max = params.get('maxResults');
  if (max !== null) {
    if (!/^\d{1,3}$/.test(max) || Number(max) > MAX_LIST_APPS_RESULTS) {
      throw badRequest(`Member maxResults must be an integer between 0 and ${MAX_LIST_APPS_RESULTS}, got ${JSON.stringify(max.slice(0, 20))}`);
    }
    out.maxResults = Number(max);
  }
  const token = params.get('nextToken');
  if (token !== null) {
    if (token.length > MAX_NEXT_TOKEN_LENGTH) throw badRequest(`Member nextToken must be at most ${MAX_NEXT_TOKEN_LENGTH} characters`);
    out.nextToken = token;
  }
  return out;
}

/** The fixed account id of the emulator, for ARNs. */
export const EMULATOR_ACCOUNT_ID = '123456789012';

/** An app as the console API describes it (the model's `App`, every required member present). */
export function consoleApp(app: AppState, region: string, now: number) {
  // restJson1 sends timestamps as epoch seconds.
  const created = Date.parse(app.createTime ?? firstEnvironmentTime(app) ?? new Date(now).toISOString()) / 1000;
  const times = [...app.environments.values()].map((e) => Date.parse(e.createTime) / 1000);
  return {
    appId: app.appId,
    appArn: `arn:aws:amplify:${region}:${EMULATOR_ACCOUNT_ID}:apps/${app.appId}`,
    name: app.appName,
    description: '',
    repository: '',
    platform: 'WEB',
    createTime: created,
    updateTime: Math.max(created, ...times),
    environmentVariables: {},
    defaultDomain: `${app.appId}.amplifyapp.com`,
    enableBranchAutoBuild: false,
    enableBasicAuth: false,
  };
}

const firstEnvironmentTime = (app: AppState) =>
  [...app.environments.values()].map((e) => e.createTime).sort()[0] as string | undefined;

const DEFAULT_LIST_APPS_RESULTS = 100;

/**
 * ListApps: apps in order of id, `maxResults` at a time (0 or absent: the default), `nextToken`
 * the last id of the page before, omitted on the last page, as the AmplifyBackend lists are.
 */
export function listApps(apps: Iterable<AppState>, query: { maxResults?: number; nextToken?: string }) {
  const sorted = [...apps].sort((a, b) => (a.appId < b.appId ? -1 : a.appId > b.appId ? 1 : 0));
  const size = query.maxResults || DEFAULT_LIST_APPS_RESULTS;
  let start = 0;
  if (query.nextToken !== undefined) {
    const after = Buffer.from(query.nextToken, 'base64url').toString('utf8');
    if (Buffer.from(after, 'utf8').toString('base64url') !== query.nextToken || after === '') throw badRequest('Invalid nextToken');
    // Resumes after the id even if that app is gone since.
    start = sorted.findIndex((a) => a.appId > after);
    if (start < 0) start = sorted.length;
  }
  const slice = sorted.slice(start, start + size);
  const more = start + size < sorted.length;
  return { apps: slice, nextToken: more ? Buffer.from(slice[slice.length - 1].appId, 'utf8').toString('base64url') : undefined };
}
