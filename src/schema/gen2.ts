import { Gen2Severity, type Gen2File, type Gen2Note } from '../gen2/notes.js';
import type { Gen2Export } from '../gen2/model.js';
import { gen2 } from '../resolvers/gen2.js';
import { builder } from './builder.js';
import { BackendEnvironment } from './refs.js';

const Gen2NoteSeverity = builder.enumType('Gen2NoteSeverity', {
  description: 'INFO: carried over in another form. WARNING: behaves differently until you act. ERROR: the files cannot be deployed as they are.',
  values: Object.values(Gen2Severity),
});

const Gen2FileRef = builder.objectRef<Gen2File>('Gen2File').implement({
  description: 'A file of an Amplify Gen 2 project.',
  fields: (t) => ({
    path: t.exposeString('path', { description: 'Relative to the project root, under amplify/, with / separators.' }),
    contents: t.exposeString('contents'),
  }),
});

const Gen2NoteRef = builder.objectRef<Gen2Note>('Gen2Note').implement({
  description: 'Something of the Gen 1 environment with no direct Gen 2 form, and how to carry it over.',
  fields: (t) => ({
    resource: t.exposeString('resource', { description: 'auth/<name>, api/<name> or storage/<name>.' }),
    severity: t.expose('severity', { type: Gen2NoteSeverity }),
    message: t.exposeString('message'),
  }),
});

const Gen2ExportRef = builder.objectRef<Gen2Export>('Gen2Export').implement({
  description: 'An environment as Amplify Gen 2 resource files (defineAuth, defineData, defineStorage, defineBackend).',
  fields: (t) => ({
    files: t.expose('files', { type: [Gen2FileRef] }),
    notes: t.expose('notes', { type: [Gen2NoteRef] }),
  }),
});

builder.objectField(BackendEnvironment, 'gen2', (t) =>
  t.field({
    type: Gen2ExportRef,
    description:
      "The environment's live configuration as Amplify Gen 2 resource files, read-only. Secrets appear only as secret('NAME') references. " +
      'Reads GetBackend and each resource once (GetBackendAuth, GetBackendAPI, GetBackendStorage).',
    resolve: (e, _a, ctx) => gen2(e, ctx),
  }),
);
