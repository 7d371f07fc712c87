import { z } from 'zod';
import { badRequest } from './errors.js';
import { consoleOperations, type ServedOperationName as OperationName } from './console.js';
import { operations } from './wire-model.js';
import type { ApiRecord, AuthRecord, Category, Effect, StorageRecord } from './store/records.js';
import { firstProblem } from './validate.js';

export type FaultType = 'throttle' | 'timeout' | 'internal' | 'latency' | 'drop' | 'failJob';
export const faultTypes: readonly FaultType[] = ['throttle', 'timeout', 'internal', 'latency', 'drop', 'failJob'];

export interface FaultSpec {
  /** An operation name, or `*` for every operation. */
  operation: OperationName | '*';
  type: FaultType;
  /** How many calls (or, for `failJob`, jobs) it affects. @default 1 */
  count?: number;
  /** Affect every call until cleared, instead of `count` of them. @default false */
  forever?: boolean;
  /** For `latency`: the delay added before the call is served. */
  delayMs?: number;
}

interface ArmedFault extends FaultSpec {
  remaining: number;
}

// Bounds that keep a fault list a test tool rather than a way to hold the emulator's memory.
export const MAX_FAULT_COUNT = 1_000_000;
export const MAX_ARMED_FAULTS = 1000;
export const MAX_FAULT_DELAY_MS = 600_000;

// delayMs is read by latency faults only; others ignore it, so one spec can be tried with every type.
const faultSpec = z.strictObject({
  operation: z.enum(['*', ...operations.map((o) => o.name), ...consoleOperations.map((o) => o.name)], {
    error: (issue) => `must be an AmplifyBackend (or ListApps, GetApp) operation name or "*", got ${JSON.stringify(issue.input)}`,
  }),
  type: z.enum(faultTypes, { error: (issue) => `must be one of ${faultTypes.join(', ')}, got ${JSON.stringify(issue.input)}` }),
  count: z.number().int().min(1).max(MAX_FAULT_COUNT).optional(),
  forever: z.boolean().optional(),
  delayMs: z.number().int().min(0).max(MAX_FAULT_DELAY_MS).optional(),
});

/** Checks a fault as a client sent it; a 400 names the first problem. */
export function parseFault(input: unknown): FaultSpec {
  const parsed = faultSpec.safeParse(input);
  if (!parsed.success) throw badRequest(`Invalid fault: ${firstProblem(parsed.error)}`);
  return parsed.data;
}

/**
 * Faults armed per operation. A request takes at most one fault of the request kind (everything
 * but `failJob`); a job that is created takes at most one `failJob`.
 */
export function createFaults() {
  let armed: ArmedFault[] = [];

  function take(operation: OperationName, wantJobFault: boolean): FaultSpec | undefined {
    const i = armed.findIndex(
      (f) => (f.operation === operation || f.operation === '*') && (f.type === 'failJob') === wantJobFault,
    );
    if (i < 0) return undefined;
    const fault = armed[i];
    if (!fault.forever && --fault.remaining <= 0) armed.splice(i, 1);
    return fault;
  }

  return {
    /** Arms a fault, checked as one sent to /_emulator/faults would be. */
    inject(input: FaultSpec) {
      const spec = parseFault(input);
      if (armed.length >= MAX_ARMED_FAULTS) {
        throw badRequest(`Already ${MAX_ARMED_FAULTS} faults armed: clear them with DELETE /_emulator/faults first`);
      }
      armed.push({ ...spec, remaining: spec.count ?? 1 });
    },
    clear() {
      armed = [];
    },
    list: (): FaultSpec[] =>
      armed.map(({ remaining, ...spec }) => ({ ...spec, count: spec.forever ? undefined : remaining })),
    takeRequestFault: (operation: OperationName) => take(operation, false),
    takeJobFault: (operation: OperationName) => take(operation, true),
  };
}

export type Faults = ReturnType<typeof createFaults>;

/** What a job about to start is, as `jobFailureMessage` needs it. */
export interface StartingJob {
  operation: string;
  appId: string;
  environmentNames: string[];
  effect?: Effect;
}

const stackOf = (appId: string, environmentName: string | undefined) => `amplify-${appId}-${environmentName ?? 'unknown'}`;

// CloudFormation's words for a nested stack that did not deploy, as AmplifyBackend passes them on.
const stackFailure = (stack: string, state: string, verb: 'create' | 'update' | 'delete', resources: string[], reason: string) =>
  `stack ${stack} is in ${state} state. The following resource(s) failed to ${verb}: [${resources.join(', ')}]. ` +
  `Resource handler returned message: "${reason}"`;

const categoryName: Record<Category, string> = { api: 'API', auth: 'auth', storage: 'storage' };

function resourceFailure(operation: string, appId: string, environmentName: string, category: Category, record: ApiRecord | AuthRecord | StorageRecord) {
  const name = record.resourceName;
  const stack = stackOf(appId, environmentName);
  // AmplifyBackend imports auth and storage only.
  if (operation.startsWith('Import') && category !== 'api') {
    if (category === 'auth') {
      const pool = (record as AuthRecord).imported?.userPoolId ?? name;
      return `Failed to import auth into environment ${environmentName} of app ${appId}: User pool ${pool} does not exist. (Service: CognitoIdentityProvider, Status Code: 400)`;
    }
    const bucket = (record as StorageRecord).bucketName;
    return `Failed to import storage into environment ${environmentName} of app ${appId}: Access Denied to bucket ${bucket} (Service: S3, Status Code: 403)`;
  }
  const verb = operation.startsWith('Update') ? 'update' : 'create';
  const state = verb === 'update' ? 'UPDATE_ROLLBACK_COMPLETE' : 'ROLLBACK_COMPLETE';
  const failure =
    category === 'api'
      ? stackFailure(stack, state, verb, [`GraphQLSchema`], "Schema Creation Status is FAILED with details: Failed to parse schema document - ensure it's a valid SDL-formatted document.")
      : category === 'auth'
        ? stackFailure(stack, state, verb, ['UserPoolClientWeb'], 'Invalid write attributes specified while creating a client (Service: CognitoIdentityProvider, Status Code: 400)')
        : stackFailure(stack, state, verb, ['S3Bucket'], `${(record as StorageRecord).bucketName} already exists (Service: S3, Status Code: 409)`);
  return `Failed to ${verb} ${categoryName[category]} ${name} in environment ${environmentName}: ${failure}`;
}

const removalReason: Record<Category, [string, string]> = {
  api: ['GraphQLAPI', 'Cannot delete a GraphQL API that a data source of another API still uses (Service: AppSync, Status Code: 400)'],
  auth: ['UserPool', 'Cannot delete user pool with a domain. Delete the domain first. (Service: CognitoIdentityProvider, Status Code: 400)'],
  storage: ['S3Bucket', 'The bucket you tried to delete is not empty (Service: S3, Status Code: 409)'],
};

/**
 * The error a job ends with under a `failJob` fault. AmplifyBackend passes on what CloudFormation
 * and the services under it said; the emulator cannot know the real reasons, so it chooses a
 * plausible one per operation, naming the app, environments and resources of the job.
 */
export function jobFailureMessage(job: StartingJob): string {
  const { appId, environmentNames, effect } = job;
  const first = environmentNames[0];
  switch (effect?.type) {
    case 'addEnvironment':
      return `Failed to create backend environment ${effect.environmentName}: ` +
        stackFailure(stackOf(appId, effect.environmentName), 'ROLLBACK_COMPLETE', 'create', ['DeploymentBucket'],
          `${stackOf(appId, effect.environmentName)}-deployment already exists (Service: S3, Status Code: 409)`);
    case 'cloneEnvironment':
      return `Failed to clone backend environment ${effect.from} to ${effect.to}: ` +
        stackFailure(stackOf(appId, effect.to), 'ROLLBACK_COMPLETE', 'create', ['AuthRole', 'UnauthRole'],
          'Cannot exceed quota for RolesPerAccount: 1000 (Service: Iam, Status Code: 409)');
    case 'removeEnvironment':
      return `Failed to delete backend environment ${effect.environmentName}: ` +
        stackFailure(stackOf(appId, effect.environmentName), 'DELETE_FAILED', 'delete', ['DeploymentBucket'],
          'The bucket you tried to delete is not empty (Service: S3, Status Code: 409)');
    case 'removeAllEnvironments':
      return first === undefined
        ? `Failed to remove the backends of app ${appId}: the Amplify app could not be deleted (Service: Amplify, Status Code: 409)`
        : `Failed to remove the backends of app ${appId}: ` +
          stackFailure(stackOf(appId, first), 'DELETE_FAILED', 'delete', ['DeploymentBucket'],
            'The bucket you tried to delete is not empty (Service: S3, Status Code: 409)');
    case 'putResource':
      return resourceFailure(job.operation, appId, effect.environmentName, effect.category, effect.record);
    case 'removeResource': {
      const [resource, reason] = removalReason[effect.category];
      return `Failed to delete ${categoryName[effect.category]} ${effect.resourceName} in environment ${effect.environmentName}: ` +
        stackFailure(stackOf(appId, effect.environmentName), 'UPDATE_ROLLBACK_COMPLETE', 'delete', [resource], reason);
    }
    case 'generateModels':
      return `Failed to generate models for API ${effect.resourceName} in environment ${effect.environmentName}: ` +
        'InvalidDirectiveError: @index directive on a field of a type without @model is not supported';
    case 'createConfig':
      return `Failed to create the backend config of app ${appId}: User: amplify-backend is not authorized to perform: ` +
        `iam:PassRole on resource: amplify-${appId}-adminui-role (Service: Iam, Status Code: 403)`;
    default:
      return `${job.operation} failed: Resource is not in the state stackUpdateComplete`;
  }
}
