import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Where the page's bundle is kept: committed, so that serving the page needs no dev dependency. */
export const bundleFile = fileURLToPath(new URL('./main.js', import.meta.url));

/** main.ts and graphql-ws's client as one browser module, as `npm run example:build` writes it. */
export async function bundleJobProgress(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./main.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
    banner: { js: '// Generated from main.ts by `npm run example:build` (esbuild): edit main.ts, not this file.' },
  });
  return result.outputFiles[0]!.text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(bundleFile, await bundleJobProgress());
  console.log(`wrote ${bundleFile}`);
}
