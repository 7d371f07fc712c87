import type { z } from 'zod';
import { badRequest } from './errors.js';
import type { Member, Shape } from './wire-model.js';

/**
 * Checks a decoded JSON body against the operation's members and returns what the model knows of
 * it, as a restJson1 server reads it: members the model does not name are dropped and a null
 * member is an absent one, so handlers only ever see values of the modelled shape. A problem is a
 * 400 naming the member.
 */
export function validateMembers(
  value: Record<string, unknown>,
  members: Record<string, Member>,
  path = '',
): Record<string, unknown> {
  // Keys are the model's member names, never the client's.
  const known: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(members)) {
    const at = path ? `${path}.${name}` : name;
    // Own members only: an absent member must not be found on Object.prototype.
    const v = Object.hasOwn(value, name) ? value[name] : undefined;
    if (v === undefined || v === null) {
      if (member.required) throw badRequest(`Missing required member ${at}`);
      continue;
    }
    known[name] = validateShape(v, member.shape, at);
  }
  return known;
}

function validateShape(v: unknown, shape: Shape, at: string): unknown {
  switch (shape.kind) {
    case 'string': {
      if (typeof v !== 'string') throw typeError(at, 'a string', v);
      const problem = shape.pathSegment ? segmentProblem(v) : undefined;
      if (problem) throw badRequest(`Member ${at} ${problem}`);
      return v;
    }
    case 'boolean':
      if (typeof v !== 'boolean') throw typeError(at, 'a boolean', v);
      return v;
    case 'double':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw typeError(at, 'a number', v);
      return v;
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(at, 'an integer', v);
      if ((shape.min !== undefined && v < shape.min) || (shape.max !== undefined && v > shape.max)) {
        throw badRequest(`Member ${at} must be between ${shape.min} and ${shape.max}, got ${v}`);
      }
      return v;
    case 'enum':
      if (typeof v !== 'string' || !shape.values.includes(v)) {
        throw badRequest(
          `Invalid value ${JSON.stringify(v)} for member ${at} (${shape.name}): expected one of ${shape.values.join(', ')}`,
        );
      }
      return v;
    case 'list':
      if (!Array.isArray(v)) throw typeError(at, 'a list', v);
      return v.map((item, i) => {
        if (item === null || item === undefined) throw badRequest(`Member ${at}[${i}] must not be null`);
        return validateShape(item, shape.member, `${at}[${i}]`);
      });
    case 'structure':
      if (!isObject(v)) throw typeError(at, 'an object', v);
      return validateMembers(v, shape.members, at);
  }
}

/** Why a name cannot be one path segment, or undefined when it can. */
export function segmentProblem(value: string): string | undefined {
  if (value === '') return 'must not be empty';
  // A router that resolved dot segments would read them as a move up the path.
  if (value === '.' || value === '..') return `must not be "${value}"`;
  if (!value.isWellFormed()) return 'must be well-formed Unicode (it has a lone surrogate)';
  return undefined;
}

/** The first problem zod found, prefixed with where it is (`apps.x.environments`). */
export function firstProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  const at = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
  return at ? `${at}: ${issue.message}` : issue.message;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const describe = (v: unknown) => (Array.isArray(v) ? 'a list' : v === null ? 'null' : `${typeof v}`);

const typeError = (at: string, expected: string, v: unknown) =>
  badRequest(`Member ${at} must be ${expected}, got ${describe(v)}`);
