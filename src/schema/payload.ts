import type { AppPayload, EnvironmentPayload } from '../resolvers/app.js';
import type { Types } from './builder.js';
import { App, BackendEnvironment, BackendJob } from './refs.js';

// The fields of the payloads several mutations answer alike.

type PayloadFields<Payload> = PothosSchemaTypes.ObjectFieldBuilder<Types, Payload>;

/** An app-wide write's: the app, and the job it started. */
export const appPayload = (t: PayloadFields<AppPayload>) => ({
  app: t.expose('app', { type: App }),
  job: t.expose('job', { type: BackendJob, nullable: true }),
});

/** A write to an app's environments: the app, the environment, the job it started. */
export const environmentPayload = (t: PayloadFields<EnvironmentPayload>) => ({
  app: t.expose('app', { type: App }),
  environment: t.expose('environment', { type: BackendEnvironment }),
  job: t.expose('job', { type: BackendJob, nullable: true }),
});
