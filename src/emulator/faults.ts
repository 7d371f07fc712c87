import { z } from 'zod';
import { badRequest } from './errors.js';
import { operations, type OperationName } from './model.js';
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
  operation: z.enum(['*', ...operations.map((o) => o.name)], {
    error: (issue) => `must be an AmplifyBackend operation name or "*", got ${JSON.stringify(issue.input)}`,
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
