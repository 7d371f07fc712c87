import type { OperationName } from './model.js';

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
    inject(spec: FaultSpec) {
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
