import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { advanceProblem, type Clock } from './clock.js';
import { badRequest, ServiceError } from './errors.js';
import { parseFault, type Faults } from './faults.js';
import { readJsonBody, sendError, sendJson } from './http.js';
import type { Store } from './store.js';
import { firstProblem } from './validate.js';

const clockAdvance = z.strictObject({ advanceMs: z.number().int().min(0) });

/** What the /_emulator/ endpoints reach into: the running emulator's parts. */
export interface Controlled {
  store: Store;
  clock: Clock;
  faults: Faults;
  stats(): Record<string, number>;
  resetStats(): void;
  reset(): void;
  persist(): Promise<void>;
}

/** The /_emulator/ endpoints: stats, reset, faults, the clock and the state, for tests and tools. */
export async function control(req: IncomingMessage, res: ServerResponse, path: string, requestId: string, emulator: Controlled) {
  const { store, clock, faults, persist } = emulator;
  const route = `${req.method} ${path}`;
  switch (route) {
    case 'GET /_emulator/stats':
      return sendJson(res, 200, emulator.stats(), requestId);
    case 'DELETE /_emulator/stats':
      emulator.resetStats();
      return sendJson(res, 200, {}, requestId);
    case 'POST /_emulator/reset':
      emulator.reset();
      await persist();
      return sendJson(res, 200, { reset: true }, requestId);
    case 'GET /_emulator/faults':
      return sendJson(res, 200, { faults: faults.list() }, requestId);
    case 'POST /_emulator/faults':
      faults.inject(parseFault(await readJsonBody(req)));
      return sendJson(res, 200, { faults: faults.list() }, requestId);
    case 'DELETE /_emulator/faults':
      faults.clear();
      return sendJson(res, 200, { faults: [] }, requestId);
    case 'POST /_emulator/clock': {
      // Checked whole before anything moves: a refused call changes neither the clock nor the file.
      const input = clockAdvance.safeParse(await readJsonBody(req));
      if (!input.success) throw badRequest(`Invalid clock advance: ${firstProblem(input.error)}`);
      const ms = input.data.advanceMs;
      const problem = advanceProblem(clock.now(), ms);
      if (problem) throw badRequest(`Invalid clock advance: advanceMs ${problem}`);
      clock.advance(ms);
      store.settle();
      await persist();
      return sendJson(res, 200, { now: new Date(clock.now()).toISOString() }, requestId);
    }
    case 'GET /_emulator/clock':
      return sendJson(res, 200, { now: new Date(clock.now()).toISOString() }, requestId);
    case 'GET /_emulator/state':
      store.settle();
      await persist();
      return sendJson(res, 200, store.snapshot(), requestId);
    default:
      return sendError(res, requestId, new ServiceError('UnknownOperationException', 404, `No emulator control endpoint ${route}`));
  }
}
