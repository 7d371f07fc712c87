import { UpstreamError } from '../aws/errors.js';
import type { JobEvent } from './events.js';

/**
 * What one watch's failed polls tell its subscribers: that its job does not exist, or, once polls
 * have failed `outageAfter` times in a row, that job status is unavailable (once per outage).
 */
export function createPollFailures(options: {
  /** The watch's key, which the events name. */
  watch: string;
  outageAfter: number;
  /** A NOT_FOUND now means "not readable yet" (a job just started by this gateway), not "never". */
  recentlyStarted: () => boolean;
  publish: (event: JobEvent) => void;
}) {
  const { watch } = options;
  let failures = 0;
  let outageReported = false;

  return {
    succeeded() {
      failures = 0;
      outageReported = false;
    },
    /**
     * A poll failed with `error`. Answers whether to back off and retry: not when the service
     * says the job does not exist, which is the answer, published as `notFound`. A NOT_FOUND of a
     * job just started is retried, but not counted towards an outage.
     */
    failed(error: unknown): boolean {
      const upstream = error instanceof UpstreamError ? error : undefined;
      if (upstream?.code === 'NOT_FOUND' && !options.recentlyStarted()) {
        options.publish({ kind: 'notFound', watch, message: upstream.message });
        return false;
      }
      if (upstream?.code !== 'NOT_FOUND') failures++;
      if (failures >= options.outageAfter && !outageReported) {
        outageReported = true;
        options.publish({
          kind: 'error',
          watch,
          code: upstream?.code ?? 'UPSTREAM_ERROR',
          message: `Job status is unavailable: ${upstream?.message ?? String(error)}; still retrying`,
        });
      }
      return true;
    },
  };
}
