import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createManualScheduler, createWsClients, startStack, type Stack } from './helpers.js';

/**
 * One stack for a whole test file: started before its tests, stopped after them, handed to
 * `assign` (the file keeps it in its own `let stack`). Before each test the upstream call counts
 * start from zero and, with `clearFaults`, no emulator fault is left from the test before.
 */
export function useFileStack(
  assign: (stack: Stack) => void,
  options: { start?: Parameters<typeof startStack>[0]; clearFaults?: boolean } = {},
) {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack(options.start);
    assign(stack);
  });
  afterAll(() => stack?.stop());
  beforeEach(() => {
    if (options.clearFaults) stack!.emulator.faults.clear();
    stack!.resetCalls();
  });
}

export type ManualScheduler = ReturnType<typeof createManualScheduler>;

/**
 * Stacks a file's tests start one each, on a manual scheduler (the gateway's pollers run only when
 * the test advances it), listening on a port for the test's graphql-ws clients. After each test
 * the clients are disposed and the stack stopped.
 */
export function useScheduledStack() {
  const ws = createWsClients();
  let current: Stack | undefined;
  afterEach(async () => {
    await ws.disposeAll();
    await current?.stop();
    current = undefined;
  });
  return {
    ws,
    /** A stack for this test: it, its scheduler, and its graphql-ws URL. */
    async start(options: Omit<NonNullable<Parameters<typeof startStack>[0]>, 'scheduler'> = {}) {
      const scheduler = createManualScheduler();
      const stack = await startStack({ ...options, scheduler });
      current = stack;
      const url = (await stack.gateway.start(0)).replace('http://', 'ws://');
      return { stack, scheduler, url };
    },
  };
}
