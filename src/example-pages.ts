import { readFile } from 'node:fs/promises';
import { ConfigError } from './config.js';

/** The example pages of the project's examples/ folder, by name, and the files each serves. */
const pages: Record<string, Record<string, string>> = {
  'job-progress': { '': 'index.html', 'main.js': 'main.js' },
};

const types: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8' };

export interface StaticAnswer {
  status: number;
  type: string;
  body: string;
  headers: Record<string, string>;
}

const headers = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  // The page talks to whichever gateway its form names, over HTTP and WebSocket; it loads nothing else.
  'content-security-policy': "default-src 'self'; connect-src 'self' http: https: ws: wss:; style-src 'self' 'unsafe-inline'",
};

/**
 * The example pages under `/examples/<name>/`, read once from the project's examples/ folder (the
 * pages' bundles are committed there, so that serving them needs no dev dependency). A checkout
 * has the folder; an image built from dist/ alone does not, and says so at start.
 */
export async function loadExamplePages(folder = new URL('../examples/', import.meta.url)) {
  const files = new Map<string, { type: string; body: string }>();
  for (const [name, served] of Object.entries(pages)) {
    for (const [path, file] of Object.entries(served)) {
      const url = new URL(`${name}/${file}`, folder);
      const body = await readFile(url, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new ConfigError(`EXAMPLES=true serves the project's examples/ folder, which this installation lacks (${url.pathname}: ${error.code})`);
      });
      files.set(`/examples/${name}/${path}`, { type: types[file.split('.').pop()!]!, body });
    }
  }

  return {
    /** The answer to a GET of `target` (a request's path and query), or undefined when it is no example's. */
    answer(target: string): StaticAnswer | undefined {
      const query = target.indexOf('?');
      const [path, search] = query < 0 ? [target, ''] : [target.slice(0, query), target.slice(query)];
      const file = files.get(path);
      if (file) return { status: 200, ...file, headers };
      // Relative URLs in a page resolve against its folder: the folder's URL ends with a slash.
      if (files.has(`${path}/`)) return { status: 308, type: 'text/plain', body: '', headers: { location: `${path}/${search}` } };
      return undefined;
    },
  };
}

export type ExamplePages = Awaited<ReturnType<typeof loadExamplePages>>;
