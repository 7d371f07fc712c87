import { createServer, request, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeCredentials, startStack } from './helpers.js';

export interface UpstreamProbe {
  url: string;
  /** Calls the gateway has sent that the emulator has not answered yet. */
  inFlight(): number;
  /** The most calls ever in flight at once, as the emulator sees them. */
  maxInFlight(): number;
  /** Calls the emulator has answered (to the end of the response). */
  answered(): number;
  /** Runs on each call's arrival, before it goes on to the emulator: to see the gateway's state then. */
  onArrival(listener: () => void): void;
  /** Resolves once `count` calls in all have arrived (at once if they have). */
  arrived(count: number): Promise<void>;
  /**
   * Keeps the calls whose path matches from the emulator until `release()`, those that arrive
   * meanwhile included: to see what the gateway sends while some of its calls have no answer yet.
   */
  hold(path: RegExp): UpstreamHold;
  close(): Promise<void>;
}

export interface UpstreamHold {
  /** Calls held now, not yet sent on. */
  held(): number;
  /** Sends the held calls on, and holds no more. */
  release(): void;
}

/**
 * A pass-through on 127.0.0.1 between the gateway and the emulator that sees each upstream call
 * arrive and be answered: a test can then assert on the order of events and on counts ("answered
 * before the emulator was", "never more than 2 at once") instead of on the wall clock.
 */
export async function startUpstreamProbe(target: () => string): Promise<UpstreamProbe> {
  let inFlight = 0;
  let maxInFlight = 0;
  let answered = 0;
  let arrivals = 0;
  const listeners: (() => void)[] = [];
  const holds: { path: RegExp; waiting: (() => void)[] }[] = [];
  const server = createServer((req, res) => {
    arrivals++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    const finish = () => {
      if (!done) inFlight--;
      done = true;
    };
    let forward: ClientRequest | undefined;
    // The gateway gave up on the call (its timeout, its shutdown): the emulator's answer, if it
    // ever comes, is not an answer to anyone.
    res.on('close', () => {
      finish();
      forward?.destroy();
    });
    const pass = () => {
      if (done) return;
      const { hostname, port } = new URL(target());
      forward = request({ host: hostname, port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.on('end', () => {
          if (!done) answered++;
          finish();
        });
        up.pipe(res);
      });
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    };
    const hold = holds.find((h) => h.path.test(req.url ?? ''));
    if (hold) hold.waiting.push(pass);
    for (const listener of listeners) listener();
    if (!hold) pass();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
    answered: () => answered,
    onArrival: (listener) => listeners.push(listener),
    arrived: (count) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (arrivals < count) return;
          listeners.splice(listeners.indexOf(check), 1);
          resolve();
        };
        listeners.push(check);
        check();
      }),
    hold(path) {
      const hold = { path, waiting: [] as (() => void)[] };
      holds.push(hold);
      return {
        held: () => hold.waiting.length,
        release() {
          if (holds.includes(hold)) holds.splice(holds.indexOf(hold), 1);
          for (const send of hold.waiting.splice(0)) send();
        },
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `startStack`, its gateway's upstream calls passing through an `UpstreamProbe`. */
export async function startProbedStack(options: Parameters<typeof startStack>[0] = {}) {
  let emulatorUrl = '';
  const probe = await startUpstreamProbe(() => emulatorUrl);
  const stack = await startStack({
    ...options,
    gateway: {
      ...options.gateway,
      upstream: { kind: 'aws', endpoint: probe.url, region: 'us-east-1', credentials: fakeCredentials },
    },
  });
  emulatorUrl = stack.emulator.url;
  const stopStack = stack.stop;
  return Object.assign(stack, {
    probe,
    async stop() {
      await stopStack();
      await probe.close();
    },
  });
}
