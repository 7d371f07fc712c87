import { parse } from 'graphql';
import { z } from 'zod';
import { segmentProblem } from '../aws/path-segment.js';

// Checks made before any upstream call, so a bad input costs nothing and says what is wrong.

/** Any id or name that travels in a URI path: one rule, the AWS client's own (see path-segment). */
export const pathValue = z
  // Only a federation representation can hand over something else: GraphQL typed the arguments.
  .string({ error: (issue) => (issue.input === undefined ? 'is missing' : 'must be a string') })
  .superRefine((value, ctx) => {
  const problem = segmentProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Amplify's rule for environment names, checked where one is created. */
export const newEnvironmentName = z
  .string()
  .regex(/^[a-z]{2,10}$/, 'must be 2 to 10 lowercase letters (an Amplify environment name)');

/** Amplify's rule for resource names, checked where one is created. */
export const newResourceName = z
  .string()
  .regex(/^[A-Za-z0-9]{1,128}$/, 'must be 1 to 128 letters and digits (an Amplify resource name)');

export const nonEmpty = z.string().min(1, 'must not be empty').max(2048, 'must be at most 2048 characters');

export const redirectUris = z
  .array(z.url({ error: 'must be absolute URLs' }))
  .min(1, 'must name at least one URL')
  .max(100, 'must name at most 100 URLs');

// Cognito's bounds for a password policy.
export const passwordMinimumLength = z
  .number()
  .int('must be a whole number')
  .min(6, 'must be from 6 to 99')
  .max(99, 'must be from 6 to 99');

export const transformSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(1024 * 1024, 'must be at most 1 MiB')
  .superRefine((v, ctx) => {
    try {
      parse(v, { noLocation: true });
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `must be a GraphQL schema (${(error as Error).message})` });
    }
  });
