import type { EnvironmentState, StoreContext } from './state.js';

export const defaultFeatureFlags = () => ({
  features: {
    graphqltransformer: { transformerversion: 2, useexperimentalpipelinedtransformer: true },
    auth: { enablecaseinsensitivity: true, useinclusiveterminology: true },
    codegen: { useappsyncmodelgenplugin: true, generatemodelsforlazyloadandcustomselectionset: true },
  },
});

export function newEnvironment(ctx: StoreContext, name: string, at: number): EnvironmentState {
  return {
    name,
    createTime: ctx.iso(at),
    featureFlags: defaultFeatureFlags(),
    api: new Map(),
    auth: new Map(),
    storage: new Map(),
  };
}
