import { posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pathSegments } from '../src/gen2/paths.js';
import { literal, messageCallback, templateLiteral } from '../src/gen2/source.js';
import { apiModel, authModel, evaluate, exportOf, fileOf, storageModel, syntaxErrors } from './helpers-gen2.js';

// Every upstream string that enters generated TypeScript reads back as itself, whatever it holds;
// every path made from a resource name stays under amplify/.

const hostile = ['`', '${', '}', '\\', '"', "'", '\r', '\n', '\u2028', '\u2029', '\ud800', '\udc00', '*/', '//', '\0', '{####}', 'x'];
/** Strings built from the characters that break literals, comments and templates, and any UTF-16 unit. */
const anyText = fc.oneof(
  fc.string({ unit: fc.constantFrom(...hostile), maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('`; process.exit()//', '${process.exit()}', '"); process.exit(); ("', '*/ process.exit() /*', '__proto__', '', '.', '..'),
);

const evaluated = (source: string) => new Function(`return ${source};`)() as unknown;
/** What a file holds after it is written as UTF-8 and read back. */
const throughDisk = (source: string) => Buffer.from(source, 'utf8').toString('utf8');

describe('literals', () => {
  it('a string literal evaluates back to the string, written to disk and read back', () => {
    fc.assert(fc.property(anyText, (text) => {
      expect(evaluated(throughDisk(literal(text)))).toBe(text);
    }));
  });

  it('a template literal evaluates back to the string, written to disk and read back', () => {
    fc.assert(fc.property(anyText, (text) => {
      expect(evaluated(throughDisk(templateLiteral(text)))).toBe(text);
    }));
  });

  it('a template literal keeps a schema readable: newlines and quotes as they are', () => {
    expect(templateLiteral('type A {\n  b: "c"\n}')).toBe('`type A {\n  b: "c"\n}`');
  });

  it('a message callback puts the code where Gen 1 has {####}', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const callback = evaluated(messageCallback('createCode', text, '{####}').code) as (f: () => string) => string;
        expect(callback(() => '{####}')).toBe(text);
      }),
    );
  });
});

describe('generated files with hostile config values', () => {
  it('the data file carries any transform schema and API name exactly, and nothing runs', () => {
    fc.assert(
      fc.property(anyText.filter((s) => s !== ''), anyText, (schema, apiName) => {
        const file = fileOf(exportOf({ auth: authModel(), apis: { api: apiModel({ transformSchema: schema, apiName }) } }), 'amplify/data/resource.ts');
        expect(syntaxErrors(file)).toEqual([]);
        const { data } = evaluate(throughDisk(file));
        expect(data.schema).toBe(schema);
        expect(data.name).toBe(apiName);
      }),
      { numRuns: 60 },
    );
  });

  it('the auth file carries any redirect URI and verification message exactly', () => {
    fc.assert(
      fc.property(anyText, anyText, anyText, (uri, subject, message) => {
        const auth = authModel({
          verificationMessage: { deliveryMethod: 'EMAIL', emailSettings: { emailSubject: subject, emailMessage: message } },
          oAuth: { oAuthGrantType: 'CODE', oAuthScopes: [], redirectSignInURIs: [uri], redirectSignOutURIs: [uri] },
        });
        const file = fileOf(exportOf({ auth }), 'amplify/auth/resource.ts');
        expect(syntaxErrors(file)).toEqual([]);
        const { auth: props } = evaluate(throughDisk(file));
        expect(props.loginWith.externalProviders.callbackUrls).toEqual([uri]);
        expect(props.loginWith.email.verificationEmailSubject).toBe(subject);
        expect(props.loginWith.email.verificationEmailBody(() => '{####}')).toBe(message);
      }),
      { numRuns: 60 },
    );
  });

  it('the storage file carries any resource name exactly', () => {
    fc.assert(
      fc.property(anyText, (name) => {
        const exported = exportOf({ storages: { [name]: storageModel() } });
        const { storage } = evaluate(throughDisk(fileOf(exported, 'amplify/storage/resource.ts')));
        expect(storage.name).toBe(name);
      }),
      { numRuns: 60 },
    );
  });
});

describe('paths from resource names', () => {
  it('stay one plain segment each, distinct, whatever the names', () => {
    fc.assert(
      fc.property(fc.array(anyText, { maxLength: 8 }), (names) => {
        const segments = pathSegments(names, 'data');
        expect(segments).toHaveLength(names.length);
        for (const segment of segments) expect(segment).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(new Set(segments.map((s) => s.toLowerCase())).size).toBe(segments.length);
      }),
    );
  });

  it('every file of an export is under amplify/, normalized, and written once', () => {
    fc.assert(
      fc.property(fc.array(anyText, { minLength: 1, maxLength: 5 }), fc.array(anyText, { minLength: 1, maxLength: 5 }), (apiNames, storageNames) => {
        const exported = exportOf({
          auth: authModel(),
          apis: Object.fromEntries(apiNames.map((n) => [n, apiModel()])),
          storages: Object.fromEntries(storageNames.map((n) => [n, storageModel()])),
        });
        const paths = exported.files.map((f) => f.path);
        for (const path of paths) {
          expect(path.startsWith('amplify/')).toBe(true);
          expect(posix.normalize(path)).toBe(path);
          expect(path.split('/')).not.toContain('..');
        }
        expect(new Set(paths.map((p) => p.toLowerCase())).size).toBe(paths.length);
      }),
    );
  });
});
