import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { operationNames } from '../src/aws/client.js';
import { consoleOperationNames } from '../src/aws/console.js';
import { loadConfig } from '../src/config.js';
import { dockerIgnores, envOf, loadYamlDocuments, parseDockerfile } from './helpers-deploy.js';
import { readmeExample } from './helpers-readme.js';

// What can be checked of the Dockerfile and the Kubernetes example without Docker or a cluster.
// Building and running what they describe is in production.slow.test.ts.

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('the production start', () => {
  it('has a bin entry, dist/main.js, which runs under node by itself', () => {
    expect(pkg.bin).toEqual({ 'amplifybackend-graphql': 'dist/main.js' });
    expect(readFileSync('src/main.ts', 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('keeps the quick start: npm start builds, then runs the same file', () => {
    expect(pkg.scripts.start).toBe('npm run --silent build && node dist/main.js');
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.build.json');
  });

  it('imports nothing at run time but dependencies and node builtins', () => {
    const files = (readdirSync('src', { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    const imported = new Map<string, string>();
    for (const file of files) {
      const text = readFileSync(join('src', file), 'utf8');
      // Type-only imports and exports are erased; every other one (even `import { type X }`) stays.
      const specifiers = [
        ...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^;]*?from\s+'([^']+)'/gm),
        ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
        ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
      ].map((m) => m[1]!);
      for (const specifier of specifiers) {
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        imported.set(name, file);
      }
    }
    expect(imported.size).toBeGreaterThan(10);
    const notDependencies = [...imported].filter(([name]) => !(name in pkg.dependencies));
    expect(notDependencies).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const stages = parseDockerfile();
  const [build, final] = stages;
  const commands = (stage: typeof build, name: string) => stage!.instructions.filter((i) => i.name === name);

  it('has two stages on Node 20: a build stage and one to run', () => {
    expect(stages).toHaveLength(2);
    for (const stage of stages) expect(stage.base).toMatch(/^node:20(-[\w.-]+)?$/);
    expect(build!.name).toBe('build');
  });

  it('installs everything and builds in the first stage', () => {
    const runs = commands(build, 'RUN').map((i) => i.text);
    expect(runs).toEqual([expect.stringMatching(/^npm ci\b/), 'npm run build']);
    expect(runs[0]).not.toContain('--omit=dev');
  });

  it('installs only dependencies in the second, and runs as the node user on 0.0.0.0', () => {
    expect(commands(final, 'RUN').map((i) => i.text)).toEqual([expect.stringMatching(/^npm ci --omit=dev\b/)]);
    expect(envOf(final!)).toMatchObject({ HOST: '0.0.0.0', NODE_ENV: 'production' });
    expect(commands(final, 'USER').map((i) => i.text)).toEqual(['node']);
    // USER before CMD and HEALTHCHECK, after the installs that need root.
    const order = final!.instructions.map((i) => i.name);
    expect(order.indexOf('USER')).toBeGreaterThan(order.lastIndexOf('RUN'));
    expect(order.indexOf('USER')).toBeLessThan(order.indexOf('CMD'));
  });

  it('checks /health with node, not curl (the image has none)', () => {
    const [healthcheck] = commands(final, 'HEALTHCHECK');
    expect(healthcheck!.exec).toBe(true);
    expect(healthcheck!.args.slice(0, 2)).toEqual(['CMD', 'node']);
    expect(healthcheck!.args.join(' ')).toContain("/health'");
    for (const instruction of stages.flatMap((s) => s.instructions)) expect(instruction.text).not.toMatch(/\b(curl|wget)\b/);
  });

  it('runs the bin entry with node itself (signals reach the gateway, no compiler needed)', () => {
    const [cmd] = commands(final, 'CMD');
    expect(cmd!.exec).toBe(true);
    expect(cmd!.args).toEqual(['node', pkg.bin['amplifybackend-graphql']]);
  });

  it('copies from the build context only files that exist and .dockerignore lets through', () => {
    const sources = stages.flatMap((s) => s.instructions.filter((i) => i.name === 'COPY' && !i.flags.from)).flatMap((i) => i.args.slice(0, -1));
    expect(sources).toEqual(['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'package.json', 'package-lock.json']);
    for (const source of sources) {
      expect(existsSync(source), source).toBe(true);
      expect(dockerIgnores(source), source).toBe(false);
    }
    expect(dockerIgnores('node_modules')).toBe(true);
    expect(dockerIgnores('dist')).toBe(true);
  });

  it('copies between stages only from the build stage', () => {
    const from = commands(final, 'COPY').filter((i) => i.flags.from);
    expect(from.map((i) => [i.flags.from, ...i.args])).toEqual([['build', '/app/dist', './dist']]);
  });
});

describe('deploy/kubernetes.yaml', () => {
  const documents = loadYamlDocuments('deploy/kubernetes.yaml');
  const byKind = (kind: string) => documents.filter((d) => d.kind === kind);
  const [secret] = byKind('Secret');
  const [deployment] = byKind('Deployment');
  const [service] = byKind('Service');
  const pod = deployment?.spec.template;
  const [container] = pod?.spec.containers ?? [];
  /** A port as a probe or a Service names it (a number, or a container port's name) → its number. */
  const portNumber = (port: number | string) =>
    typeof port === 'number' ? port : container.ports.find((p: { name?: string }) => p.name === port)?.containerPort;

  it('parses into a Secret, a ServiceAccount, a Deployment and a Service', () => {
    expect(documents.map((d) => d.kind)).toEqual(['Secret', 'ServiceAccount', 'Deployment', 'Service']);
  });

  it('probes liveness on /health and readiness on /ready, on the port the gateway listens on', () => {
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    expect(container.readinessProbe.httpGet.path).toBe('/ready');
    const env = Object.fromEntries(container.env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
    const listening = Number(env.PORT ?? envOf(parseDockerfile()[1]!).PORT);
    expect(portNumber(container.livenessProbe.httpGet.port)).toBe(listening);
    expect(portNumber(container.readinessProbe.httpGet.port)).toBe(listening);
    expect(portNumber(service.spec.ports[0].targetPort)).toBe(listening);
    expect(service.spec.selector).toEqual(pod.metadata.labels);
    expect(deployment.spec.selector.matchLabels).toEqual(pod.metadata.labels);
  });

  it('takes GATEWAY_API_KEYS from its Secret, and its settings load as the gateway reads them', () => {
    const fromSecret = container.env.find((e: any) => e.name === 'GATEWAY_API_KEYS').valueFrom.secretKeyRef;
    expect(fromSecret).toEqual({ name: secret.metadata.name, key: 'GATEWAY_API_KEYS' });
    const env = Object.fromEntries(
      container.env.map((e: any) => [e.name, e.value ?? secret.stringData[e.valueFrom.secretKeyRef.key]]),
    );
    const config = loadConfig(env);
    expect(config).toMatchObject({
      port: portNumber('http'),
      host: '0.0.0.0',
      redisUrl: 'redis://redis:6379',
      trustProxy: 1,
      upstream: { kind: 'aws', chosenBy: 'UPSTREAM', requireCredentials: true },
    });
    expect(config.access.apiKeys.map((k) => k.scopes)).toEqual([['read'], ['read', 'write']]);
  });

  it('runs the pod as the image user, non-root', () => {
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
  });
});

describe('the IAM policies', () => {
  const actionsOf = (file: string) => {
    const policy = JSON.parse(readFileSync(file, 'utf8'));
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0]).toMatchObject({ Effect: 'Allow', Resource: '*' });
    return policy.Statement[0].Action as string[];
  };

  // Both read the Amplify console API's apps (Query.apps, App.defaultDomain, ...).
  const consoleActions = consoleOperationNames.map((o) => `amplify:${o}`);

  it('grants exactly the operations the gateway can send', () => {
    expect(operationNames).toHaveLength(31);
    expect(actionsOf('deploy/iam-policy.json')).toEqual([...consoleActions, ...operationNames.map((o) => `amplifybackend:${o}`)].sort());
  });

  it('grants only reads in the read-only variant: the Get and List operations', () => {
    const reads = operationNames.filter((o) => /^(Get|List)/.test(o));
    expect(reads).toHaveLength(9);
    expect(actionsOf('deploy/iam-policy-read-only.json')).toEqual([...consoleActions, ...reads.map((o) => `amplifybackend:${o}`)].sort());
  });

  it('lets the gateway assume the account roles, each trusting it, only with sts:AssumeRole', () => {
    const assume = JSON.parse(readFileSync('deploy/iam-assume-account-roles.json', 'utf8'));
    expect(assume.Statement).toEqual([expect.objectContaining({ Effect: 'Allow', Action: 'sts:AssumeRole' })]);
    for (const arn of assume.Statement[0].Resource) expect(arn).toMatch(/^arn:aws:iam::\d{12}:role\//);
    const trust = JSON.parse(readFileSync('deploy/iam-account-role-trust.json', 'utf8'));
    expect(trust.Statement).toEqual([expect.objectContaining({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: expect.any(String) } })]);
  });

  it('is printed in the README as in the files', () => {
    expect(readmeExample('iam-policy').map((b) => b.body)).toEqual([readFileSync('deploy/iam-policy.json', 'utf8')]);
    expect(readmeExample('iam-policy-read-only').map((b) => b.body)).toEqual([readFileSync('deploy/iam-policy-read-only.json', 'utf8')]);
    expect(readmeExample('iam-assume-account-roles').map((b) => b.body)).toEqual([readFileSync('deploy/iam-assume-account-roles.json', 'utf8')]);
    expect(readmeExample('iam-account-role-trust').map((b) => b.body)).toEqual([readFileSync('deploy/iam-account-role-trust.json', 'utf8')]);
  });
});
