import { segmentProblem } from '../aws/path-segment.js';
import { badUserInput } from '../errors.js';

// Entities are keyed by several names (app, environment, resource); their global ids carry the
// key as a JSON array inside Relay's `Type:id` encoding.

export const keyId = (...parts: string[]) => JSON.stringify(parts);

/**
 * The key a global id carries. Every part is an id or name that travels in a URI path, and a
 * global id is as much client input as an argument: each part passes the same rule.
 */
export function parseKeyId<const N extends readonly string[]>(id: string, names: N): { [K in N[number]]: string } {
  let parts: unknown;
  try {
    parts = JSON.parse(id);
  } catch {
    parts = undefined;
  }
  if (!Array.isArray(parts) || parts.length !== names.length || !parts.every((p) => typeof p === 'string')) {
    throw badUserInput(`Invalid global id: expected a key of ${names.join(', ')}`, 'id');
  }
  names.forEach((name, i) => checkKeyPart(name, parts[i]));
  return Object.fromEntries(names.map((name, i) => [name, parts[i]])) as { [K in N[number]]: string };
}

/** A global id whose key is one name (an App's is its appId). */
export function parseSingleKeyId(id: string, name: string): string {
  checkKeyPart(name, id);
  return id;
}

function checkKeyPart(name: string, value: string) {
  const problem = segmentProblem(value);
  if (problem) throw badUserInput(`Invalid global id: its ${name} ${problem}`, 'id');
}
