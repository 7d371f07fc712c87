#!/usr/bin/env node
import { inspect } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { installCrashGuard } from './observability/crash-guard.js';
import { scrubber } from './redis.js';
import { describeOrigins } from './security/cors.js';
import { createGateway } from './server.js';
import { checkAwsAtStart, wayBackToEmulator, whyAws } from './upstream-choice.js';

// `npm start` and `node dist/main.js`: the gateway, on the embedded emulator unless UPSTREAM=aws or an AWS setting is given.
async function main() {
  const config = loadConfig(process.env, process.argv.slice(2));
  const signing = await checkAwsAtStart(config, { warn: (message) => console.warn(`amplifybackend-graphql: warning: ${message}`) });
  const gateway = await createGateway(config);
  installCrashGuard({ logger: gateway.logger, requestId: gateway.currentRequestId, stop: () => gateway.stop() });
  const url = await gateway.start();
  console.log(`amplifybackend-graphql gateway: ${url} (GraphiQL in a browser)`);
  console.log(
    gateway.open
      ? '  access: OPEN, no credential asked (set GATEWAY_API_KEYS or GATEWAY_JWT_SECRET / GATEWAY_JWKS_URL to require one)'
      : '  access: API keys or JWT required (Authorization: Bearer ..., or x-api-key)',
  );
  console.log(describeOrigins({ origins: config.corsOrigins, open: gateway.open }));
  if (gateway.emulator) {
    console.log(`embedded AmplifyBackend emulator: ${gateway.emulator.url} (demo apps d1todoapp00001, d2gallery00002)`);
    console.log('  set UPSTREAM=aws (with AWS_REGION) to use AWS AmplifyBackend, or AWS_ENDPOINT_URL_AMPLIFYBACKEND for another endpoint');
  } else if (config.upstream.kind === 'aws') {
    const where = config.upstream.endpoint ? `at ${config.upstream.endpoint}, ` : '';
    console.log(`upstream: AmplifyBackend ${where}${signing}`);
    const why = whyAws(config.upstream);
    if (why) console.log(`  ${why}; ${wayBackToEmulator(config.upstream)}`);
  }
  const shutdown = async (signal: string) => {
    console.log(`${signal}: shutting down`);
    await gateway.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

const command = process.argv[2] === 'gen2' ? gen2() : main();

async function gen2() {
  const { runGen2Command } = await import('./gen2-command.js');
  const code = await runGen2Command(process.argv.slice(3), process.env, { out: (line) => console.log(line), err: (line) => console.error(line) });
  process.exit(code);
}

command.catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`amplifybackend-graphql: ${error.message}`);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`amplifybackend-graphql: ${(error as Error).message}: set PORT (or EMULATOR_PORT) to a free port`);
  } else {
    // Whatever failed, nothing of REDIS_URL's credentials is printed (its own errors are scrubbed already).
    const scrub = process.env.REDIS_URL ? scrubber(process.env.REDIS_URL) : (text: string) => text;
    console.error(`amplifybackend-graphql: failed to start: ${scrub(inspect(error))}`);
  }
  process.exit(1);
});
