import type { OperationName } from '../aws/client.js';
import type { EnvironmentKey } from '../keys.js';

/**
 * What a live query depends on, named as @n1ru4l/in-memory-live-query-store's resource
 * identifiers. Two levels, from the AmplifyBackend calls a run makes (not from the fields a
 * client happens to select):
 *
 * - `App:<appId>`: every read of the app, whatever part of it. Invalidated by the writes that
 *   change the app as a whole or its list of environments, so they refresh every view of the app.
 * - `BackendEnvironment:<appId>/<environment>`: every read of one environment (GetBackend of it,
 *   its API, auth, storage and models, its jobs). Invalidated by writes to that environment only.
 *
 * A job of an environment changing is not an identifier: a live query that read the environment
 * watches its jobs itself (environment-watches.ts).
 */
export const appResource = (appId: string) => `App:${appId}`;

export const environmentResource = (key: EnvironmentKey) => `BackendEnvironment:${key.appId}/${key.environmentName}`;

/** The list of apps (`Query.apps`, from ListApps): changed by a write that adds an app or may remove one. */
export const appsResource = 'Apps';
const changeAppList: ReadonlySet<OperationName> = new Set(['CreateBackend', 'RemoveAllBackends']);

/** Reads change nothing, and are the only operations named Get or List. */
export const isRead = (operation: OperationName) => operation.startsWith('Get') || operation.startsWith('List');

// Writes after which any view of the app may differ: its environment list, or all of it at once.
const appWide: ReadonlySet<OperationName> = new Set([
  'CreateBackend',
  'DeleteBackend',
  'CloneBackend',
  'RemoveAllBackends',
  'CreateBackendConfig',
  'UpdateBackendConfig',
  'RemoveBackendConfig',
]);

/** The environment an operation's input names, if it names one. */
export function environmentIn(input: unknown): EnvironmentKey | undefined {
  const { appId, backendEnvironmentName } = (input ?? {}) as { appId?: unknown; backendEnvironmentName?: unknown };
  return typeof appId === 'string' && typeof backendEnvironmentName === 'string'
    ? { appId, environmentName: backendEnvironmentName }
    : undefined;
}

const appIn = (input: unknown) => {
  const { appId } = (input ?? {}) as { appId?: unknown };
  return typeof appId === 'string' ? appId : undefined;
};

/** What a run that made this read depends on. */
export function readResources(input: unknown): string[] {
  const appId = appIn(input);
  if (appId === undefined) return [];
  const environment = environmentIn(input);
  return environment ? [appResource(appId), environmentResource(environment)] : [appResource(appId)];
}

/**
 * What a write through the gateway invalidates: its environment, or its app when it names none
 * (tokens too) or changes the app as a whole. Undefined for a read.
 */
export function writtenResources(
  operation: OperationName,
  input: unknown,
): { appId: string; resources: string[]; wholeApp: boolean } | undefined {
  const appId = appIn(input);
  if (isRead(operation) || appId === undefined) return undefined;
  const environment = environmentIn(input);
  if (changeAppList.has(operation)) return { appId, resources: [appResource(appId), appsResource], wholeApp: true };
  if (appWide.has(operation) || !environment) return { appId, resources: [appResource(appId)], wholeApp: true };
  return { appId, resources: [environmentResource(environment)], wholeApp: false };
}
