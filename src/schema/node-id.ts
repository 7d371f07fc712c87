import { badUserInput } from '../errors.js';

// Entities are keyed by several names (app, environment, resource); their global ids carry the
// key as a JSON array inside Relay's `Type:id` encoding.

export const keyId = (...parts: string[]) => JSON.stringify(parts);

export function parseKeyId<const N extends readonly string[]>(id: string, names: N): { [K in N[number]]: string } {
  let parts: unknown;
  try {
    parts = JSON.parse(id);
  } catch {
    parts = undefined;
  }
  if (!Array.isArray(parts) || parts.length !== names.length || !parts.every((p) => typeof p === 'string' && p !== '')) {
    throw badUserInput(`Invalid global id: expected a key of ${names.join(', ')}`, 'id');
  }
  return Object.fromEntries(names.map((name, i) => [name, parts[i]])) as { [K in N[number]]: string };
}
