import { authPart } from './auth.js';
import { dataPart } from './data.js';
import type { Gen2Export, Gen2Source, ResourcePart } from './model.js';
import { note, type Gen2File, type Gen2Note } from './notes.js';
import { pathSegments } from './paths.js';
import { literal } from './source.js';
import { storagePart } from './storage.js';

// The whole export: each resource's file, and amplify/backend.ts wiring them, with the CDK
// overrides for what the define* functions have no option for.

/** Gen 2's own amplify/package.json and amplify/tsconfig.json, as `npm create amplify` writes them. */
const projectFiles: Gen2File[] = [
  { path: 'amplify/package.json', contents: '{\n  "type": "module"\n}\n' },
  {
    path: 'amplify/tsconfig.json',
    contents: `${JSON.stringify(
      {
        compilerOptions: {
          target: 'es2022',
          module: 'es2022',
          moduleResolution: 'bundler',
          resolveJsonModule: true,
          esModuleInterop: true,
          forceConsistentCasingInFileNames: true,
          strict: true,
          skipLibCheck: true,
          paths: { '$amplify/*': ['../.amplify/generated/*'] },
        },
      },
      null,
      2,
    )}\n`,
  },
];

/** One file path per resource: `amplify/<category>/resource.ts`, or a folder each when there are several. */
const resourcePaths = (category: string, names: string[]) =>
  names.length === 1 ? [`amplify/${category}/resource.ts`] : pathSegments(names, category).map((s) => `amplify/${category}/${s}/resource.ts`);

/** `./data/x/resource` from `amplify/data/x/resource.ts`. */
const importPath = (path: string) => literal(`./${path.slice('amplify/'.length, -'.ts'.length)}`);

interface Wired {
  /** The name in defineBackend. */
  key: string;
  /** The name the resource file exports. */
  exported: string;
  part: ResourcePart;
}

export function exportGen2(source: Gen2Source): Gen2Export {
  const wired: Wired[] = [];
  const unwired: ResourcePart[] = [];
  const auth = source.auth && authPart(source.auth);
  if (auth) wired.push({ key: 'auth', exported: 'auth', part: auth });
  const apiPaths = resourcePaths('data', source.apis.map((api) => api.resourceName));
  const data = source.apis.map((api, i) => dataPart(api, { path: apiPaths[i], hasAuth: Boolean(auth) }));
  const firstData = data.findIndex((part) => part.file);
  data.forEach((part, i) => {
    if (i === firstData) wired.push({ key: 'data', exported: 'data', part });
    else if (part.file) {
      part.notes.push(unwiredDataNote(source.apis[i].resourceName, part.file.path));
      unwired.push(part);
    } else unwired.push(part);
  });
  const guestsAllowed = guestLogin(source);
  const managed = source.storages.filter((s) => !s.config?.imported);
  const storagePaths = resourcePaths('storage', managed.map((s) => s.resourceName));
  let storageIndex = 0;
  let outputTaken = managed.some((s) => s.config);
  for (const storage of source.storages) {
    const index = storage.config?.imported ? -1 : storageIndex++;
    const part = storagePart(storage, { path: storagePaths[index] ?? '', isDefault: index === 0 && managed.length > 1, guestsAllowed, outputTaken });
    if (storage.config?.imported) outputTaken = true;
    const key = index <= 0 ? 'storage' : `storage${index + 1}`;
    wired.push({ key, exported: 'storage', part });
  }
  const parts = [...wired.map((w) => w.part), ...unwired];
  const files = parts.flatMap((part) => (part.file ? [part.file] : []));
  const notes: Gen2Note[] = parts.flatMap((part) => part.notes);
  return { files: [backendFile(wired), ...files, ...projectFiles], notes };
}

const unwiredDataNote = (resourceName: string, path: string) =>
  note(
    `api/${resourceName}`,
    'WARNING',
    `Gen 2 allows one data resource a backend: ${path} is generated but not wired into backend.ts. Merge its schema into the first API's, or deploy it from a backend of its own.`,
  );

/** Guests reach storage through the identity pool's unauthenticated login, which Gen 2 allows unless the override turns it off. */
function guestLogin(source: Gen2Source): boolean {
  const auth = source.auth;
  if (!auth) return false;
  if (auth.imported) return true;
  return auth.config?.authResources !== 'USER_POOL_ONLY' && auth.config?.identityPoolConfigs?.unauthenticatedLogin !== false;
}

function backendFile(wired: Wired[]): Gen2File {
  const withFile = wired.filter((w) => w.part.file);
  const imports = withFile.map((w) => {
    const name = w.key === w.exported ? w.key : `${w.exported} as ${w.key}`;
    return `import { ${name} } from ${importPath(w.part.file!.path)};\n`;
  });
  const members = withFile.map((w) => `  ${w.key},\n`).join('');
  const overrides = wired.flatMap((w) => w.part.overrides);
  const define = `defineBackend({\n${members}})`;
  const body = overrides.length === 0 ? `${define};\n` : `const backend = ${define};\n\n${overrides.join('\n')}\n`;
  const contents = `import { defineBackend } from '@aws-amplify/backend';\n${imports.join('')}\n${body}`;
  return { path: 'amplify/backend.ts', contents };
}
