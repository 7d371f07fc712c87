import { consoleApp, listApps } from '../console.js';
import { badRequest, notFound } from '../errors.js';
import { amplifyMeta } from './amplify-meta.js';
import type { Jobs } from './job.js';
import type { JobFailureHook } from './records.js';
import { findApp, findEnvironment, type StoreContext } from './state.js';

/** Apps, their environments (created and removed by jobs) and their backend config. */
export function createApps(ctx: StoreContext, { assertNoPendingJob, startJob }: Jobs, region: string) {
  return {
    /** ListApps of the console API: the apps this side knows, as that API describes them. */
    listApps(query: { maxResults?: number; nextToken?: string }) {
      const page = listApps(ctx.state.apps.values(), query);
      return { apps: page.apps.map((a) => consoleApp(a, region, ctx.clock.now())), nextToken: page.nextToken };
    },

    /** GetApp of the console API. */
    getApp(appId: string) {
      return { app: consoleApp(findApp(ctx, appId), region, ctx.clock.now()) };
    },

    getBackend(appId: string, environmentName?: string) {
      const found = findApp(ctx, appId);
      const base = {
        appId,
        appName: found.appName,
        backendEnvironmentList: [...found.environments.keys()],
      };
      if (environmentName === undefined) return base;
      const env = findEnvironment(ctx, appId, environmentName);
      return {
        ...base,
        backendEnvironmentName: env.name,
        amplifyMetaConfig: JSON.stringify(amplifyMeta(appId, env, region)),
        amplifyFeatureFlags: JSON.stringify(env.featureFlags),
      };
    },

    createBackend(appId: string, appName: string, environmentName: string, fail?: JobFailureHook) {
      const existing = ctx.state.apps.get(appId);
      if (existing?.environments.has(environmentName)) {
        throw badRequest(`Environment ${environmentName} already exists in app ${appId}`);
      }
      assertNoPendingJob(appId, [environmentName]);
      // The Amplify app itself exists as soon as it is named; its environment appears when the job completes.
      if (existing) existing.appName = appName;
      else ctx.state.apps.set(appId, { appId, appName, createTime: ctx.iso(), environments: new Map() });
      ctx.changed();
      return startJob(appId, [environmentName], 'CreateBackend', { type: 'addEnvironment', appId, environmentName }, fail);
    },

    cloneBackend(appId: string, from: string, to: string, fail?: JobFailureHook) {
      findEnvironment(ctx, appId, from);
      if (findApp(ctx, appId).environments.has(to)) throw badRequest(`Environment ${to} already exists in app ${appId}`);
      return startJob(appId, [from, to], 'CloneBackend', { type: 'cloneEnvironment', appId, from, to }, fail);
    },

    deleteBackend(appId: string, environmentName: string, fail?: JobFailureHook) {
      findEnvironment(ctx, appId, environmentName);
      return startJob(appId, [environmentName], 'DeleteBackend', { type: 'removeEnvironment', appId, environmentName }, fail);
    },

    removeAllBackends(appId: string, cleanAmplifyApp: boolean, fail?: JobFailureHook) {
      const names = [...findApp(ctx, appId).environments.keys()];
      return startJob(appId, names, 'RemoveAllBackends', { type: 'removeAllEnvironments', appId, cleanAmplifyApp }, fail);
    },

    createConfig(appId: string, backendManagerAppId: string, fail?: JobFailureHook) {
      const names = [...findApp(ctx, appId).environments.keys()];
      return startJob(appId, names, 'CreateBackendConfig', { type: 'createConfig', appId, backendManagerAppId }, fail);
    },

    updateConfig(appId: string, loginAuthConfig: Record<string, string> | undefined) {
      const found = findApp(ctx, appId);
      if (!found.config) throw notFound('config', `App ${appId} has no backend config; call CreateBackendConfig first`);
      if (loginAuthConfig) found.config.loginAuthConfig = { ...found.config.loginAuthConfig, ...loginAuthConfig };
      ctx.changed();
      return found.config;
    },

    removeConfig(appId: string) {
      const found = findApp(ctx, appId);
      if (!found.config) throw notFound('config', `App ${appId} has no backend config`);
      delete found.config;
      ctx.changed();
    },
  };
}
