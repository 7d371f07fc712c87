import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface Instruction {
  /** Upper-case, as `COPY`. */
  name: string;
  /** The arguments as written, continuation lines joined. */
  text: string;
  /** `--from=build` → `{ from: 'build' }`. */
  flags: Record<string, string>;
  /** The arguments after the flags: JSON exec form parsed, shell form split on blanks. */
  args: string[];
  /** Whether the arguments were in exec (JSON array) form. */
  exec: boolean;
}

export interface Stage {
  base: string;
  name?: string;
  instructions: Instruction[];
}

/**
 * The stages and instructions of a Dockerfile, enough to check and replay this project's own:
 * comments and continuations as Docker reads them, flags (`--from=`, `--interval=`), exec form.
 */
export function parseDockerfile(path = 'Dockerfile'): Stage[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const joined: string[] = [];
  let current = '';
  for (const line of lines) {
    if (/^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim()) joined.push(current.trim());
    current = '';
  }
  const stages: Stage[] = [];
  for (const line of joined) {
    const [, name = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const flags: Record<string, string> = {};
    let text = rest;
    // HEALTHCHECK's flags come before its CMD; COPY's before its sources.
    for (let m = /^--([\w-]+)=(\S+)\s*/.exec(text); m; m = /^--([\w-]+)=(\S+)\s*/.exec(text)) {
      flags[m[1]!] = m[2]!;
      text = text.slice(m[0].length);
    }
    // HEALTHCHECK [flags] CMD <command>: the command in either form, after its CMD.
    const lead = name.toUpperCase() === 'HEALTHCHECK' && /^CMD\s+/.test(text) ? ['CMD'] : [];
    if (lead.length > 0) text = text.replace(/^CMD\s+/, '');
    const exec = text.startsWith('[');
    const args = [...lead, ...(exec ? (JSON.parse(text) as string[]) : text.split(/\s+/).filter(Boolean))];
    const instruction = { name: name.toUpperCase(), text: rest, flags, args, exec };
    if (instruction.name === 'FROM') {
      const [base = '', as, stageName] = args;
      stages.push({ base, ...(as?.toUpperCase() === 'AS' ? { name: stageName } : {}), instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`${path}: ${line} before any FROM`);
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** ENV lines of a stage as one record (`ENV A=1 B=2` form). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((i) => i.name === 'ENV')) {
    for (const pair of i.args) {
      const at = pair.indexOf('=');
      if (at <= 0) throw new Error(`ENV ${i.text}: only the KEY=value form is read here`);
      env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return env;
}

/** Whether `.dockerignore` leaves a path out of the build context (its plain patterns: names and `*.ext`). */
export function dockerIgnores(path: string, file = '.dockerignore'): boolean {
  const patterns = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const top = path.replace(/^\.\//, '').split('/')[0]!;
  return patterns.some((p) =>
    p.startsWith('*.') ? path.endsWith(p.slice(1)) : p.replace(/\/$/, '') === top,
  );
}

/**
 * The documents of a multi-document YAML file. js-yaml is in node_modules already (a dependency of
 * the Hive Gateway used by the federation tests), not a dependency of this project's own.
 */
export function loadYamlDocuments(path: string): Record<string, any>[] {
  const yaml = createRequire(import.meta.url)('js-yaml') as { loadAll(text: string): unknown[] };
  return yaml.loadAll(readFileSync(path, 'utf8')).filter(Boolean) as Record<string, any>[];
}
