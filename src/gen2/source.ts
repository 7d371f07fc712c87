// TypeScript source text built from upstream values. Every string that comes from a config (names,
// URIs, messages, the transform schema) enters the source only through `literal` or
// `templateLiteral`, never spliced raw and never inside a comment: a value such as
// "`; process.exit()//" must read back as that string, not run.

/** Lone surrogates cannot be written as UTF-8: a file would carry U+FFFD instead of the value. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const unicodeEscape = (ch: string) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * A string literal that evaluates to `value`. JSON.stringify escapes quotes, backslashes, control
 * characters and (since ES2019) lone surrogates; U+2028/U+2029 are escaped too, so the file reads
 * the same in any editor and in pre-ES2019 parsers.
 */
export const literal = (value: string) => JSON.stringify(value).replace(/[\u2028\u2029]/g, unicodeEscape);

/**
 * A template literal (no substitutions) that evaluates to `value`, for multi-line text such as a
 * GraphQL schema, readable as written. Backslashes, backticks and `${` are escaped; so are carriage
 * returns (a template literal reads a raw CR as LF), lone surrogates, and control characters other
 * than newline and tab.
 */
export function templateLiteral(value: string): string {
  const body = value
    .replace(/\\/g, '\\\\')
    .replace(/`/g, '\\`')
    .replace(/\$\{/g, '\\${')
    .replace(loneSurrogate, unicodeEscape)
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/g, unicodeEscape);
  return `\`${body}\``;
}

/** Source text to be placed as is: made only by this project's code, never from upstream values. */
export interface Code {
  readonly code: string;
}

export const code = (text: string): Code => ({ code: text });

/** A value to print as a TypeScript expression; `undefined` members and items are left out. */
export type Value = Code | string | number | boolean | undefined | readonly Value[] | { readonly [key: string]: Value };

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

// A quoted "__proto__" key would still set the object's prototype; the computed form does not.
const key = (name: string) => (name === '__proto__' ? `[${literal(name)}]` : identifier.test(name) ? name : literal(name));

const isCode = (value: object): value is Code => 'code' in value && typeof (value as Code).code === 'string' && Object.keys(value).length === 1;

/** Prints `value` as an expression, objects and arrays one member a line, indented from `indent`. */
export function print(value: Value, indent = ''): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return literal(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '0';
  if (typeof value === 'boolean') return String(value);
  if (isCode(value)) return value.code;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    const items = (value as readonly Value[]).filter((item) => item !== undefined);
    if (items.length === 0) return '[]';
    const flat = items.every((item) => typeof item !== 'object' || isCode(item as object));
    const printed = items.map((item) => print(item, inner));
    const oneLine = `[${printed.join(', ')}]`;
    if (flat && oneLine.length <= 100) return oneLine;
    return `[\n${printed.map((item) => `${inner}${item},\n`).join('')}${indent}]`;
  }
  const entries = Object.entries(value as Record<string, Value>).filter(([, member]) => member !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([name, member]) => `${inner}${key(name)}: ${print(member, inner)},\n`).join('')}${indent}}`;
}

/**
 * A function expression `(param) => <parts joined by param()>`: Cognito message templates written
 * with `{####}` (or `{username}`) become Gen 2's message callbacks, the placeholder a call.
 */
export function messageCallback(param: string, message: string, placeholder: string): Code {
  const parts: string[] = [];
  message.split(placeholder).forEach((text, i) => {
    if (i > 0) parts.push(`${param}()`);
    if (text !== '') parts.push(literal(text));
  });
  return code(`(${param}) => ${parts.length === 0 ? "''" : parts.join(' + ')}`);
}
