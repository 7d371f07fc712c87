import { UpstreamError } from './errors.js';

// What may travel as one segment of an AmplifyBackend URI path. The SDK percent-encodes a label,
// but `.` and `..` stay what they are, and a router (the service's, a proxy's, the emulator's
// before it was fixed) may resolve them: `/backend/app/job/../remove` is RemoveAllBackends. A lone
// surrogate cannot be encoded at all. Refused here, the whole class never reaches a URL.

/** The members that AmplifyBackend sends in the URI path, in every operation that has them. */
export const pathLabels = ['appId', 'backendEnvironmentName', 'jobId', 'sessionId'] as const;

export const MAX_SEGMENT_LENGTH = 255;

/**
 * Why `value` cannot be a path segment, or `undefined` when it can. Besides dot segments and what
 * cannot be encoded, characters no AmplifyBackend name has and that some router or proxy decodes
 * or splits on (`%`, `\`, `?`, `#`, controls, white space) are refused too.
 */
export function segmentProblem(value: string): string | undefined {
  if (value === '') return 'must not be empty';
  if (value === '.' || value === '..') return 'must not be "." or ".." (a relative path segment)';
  if (value.length > MAX_SEGMENT_LENGTH) return `must be at most ${MAX_SEGMENT_LENGTH} characters`;
  if (!value.isWellFormed()) return 'must be valid Unicode (it has a lone surrogate)';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) return 'must not contain control characters';
  if (/\s/u.test(value)) return 'must not contain white space';
  const reserved = /[/\\%?#]/.exec(value);
  if (reserved) return `must not contain "${reserved[0]}"`;
  return undefined;
}

/** Refuses an input whose path members cannot be path segments, before anything is sent: the client's mistake. */
export function refuseBadPathLabels(operation: string, input: unknown) {
  for (const label of pathLabels) {
    const value = (input as Record<string, unknown> | undefined)?.[label];
    if (value === undefined || value === null) continue;
    const problem = typeof value === 'string' ? segmentProblem(value) : 'must be a string';
    if (problem) {
      throw new UpstreamError(
        `Invalid ${label} for ${operation}: ${problem}`,
        'BAD_USER_INPUT', operation, 'InvalidPathSegment', undefined, undefined, 0,
      );
    }
  }
}
