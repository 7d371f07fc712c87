import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';

export interface CrashGuardOptions {
  logger: Logger;
  /** The id of the request whose async context the failure happened in, where known. */
  requestId: () => string | undefined;
  /** Called once, on an uncaught exception: stop serving gracefully; the process then exits 1. */
  stop: () => Promise<void>;
  /** @default process */
  target?: EventEmitter;
  /** @default process.exit */
  exit?: (code: number) => void;
}

/**
 * The last line, for bugs no test found; no client input is meant to reach it (the adversarial
 * suite checks that). Node runs these handlers in the async context of the failure, so the log
 * line names the request that caused it.
 *
 * - A rejected promise nobody handled left no half-run code behind: it is logged and the gateway
 *   keeps serving. Exiting would let any such bug take every other client down with it.
 * - An uncaught exception may have left state half-updated (Node's own advice: do not resume):
 *   logged as fatal, then the gateway stops gracefully and the process exits 1, for the
 *   supervisor (systemd, Kubernetes) to restart it.
 */
export function installCrashGuard(options: CrashGuardOptions): () => void {
  const target = options.target ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;

  const onRejection = (reason: unknown) => {
    options.logger.error({ requestId: options.requestId(), err: reason }, 'unhandled promise rejection (the gateway keeps serving)');
  };
  const onException = (error: unknown) => {
    options.logger.fatal({ requestId: options.requestId(), err: error }, 'uncaught exception: stopping the gateway');
    if (stopping) return;
    stopping = true;
    options
      .stop()
      .catch((stopError: unknown) => options.logger.error({ err: stopError }, 'graceful stop failed'))
      .finally(() => {
        options.logger.flush?.();
        exit(1);
      });
  };
  target.on('unhandledRejection', onRejection);
  target.on('uncaughtException', onException);
  return () => {
    target.off('unhandledRejection', onRejection);
    target.off('uncaughtException', onException);
  };
}
