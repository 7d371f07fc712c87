import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startStack, type Stack } from './helpers.js';

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
