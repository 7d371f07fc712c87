import { parseArgs } from 'node:util';
import { startEmulator } from './server.js';

// `npm run emulator -- --port N [--state FILE]`: the AmplifyBackend emulator on its own, for the
// aws CLI, boto3 or any SDK pointed at it with --endpoint-url.
const usage = 'usage: npm run emulator -- [--port N] [--host H] [--state FILE] [--seed demo|empty] [--job-seconds S]';

function fail(message: string): never {
  console.error(`emulator: ${message}\n${usage}`);
  process.exit(2);
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

let args;
try {
  args = parseArgs({
    options: {
      port: { type: 'string', default: process.env.EMULATOR_PORT ?? '4010' },
      host: { type: 'string', default: '127.0.0.1' },
      state: { type: 'string' },
      seed: { type: 'string', default: 'demo' },
      'job-seconds': { type: 'string', default: process.env.EMULATOR_JOB_SECONDS ?? '3' },
      help: { type: 'boolean', default: false },
    },
  }).values;
} catch (error) {
  fail((error as Error).message);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a whole number from 0 to 65535, got "${args.port}"`);
const jobSeconds = Number(args['job-seconds']);
// The same bound as the gateway's EMULATOR_JOB_SECONDS.
if (!(jobSeconds >= 0 && jobSeconds <= 3600)) fail(`--job-seconds must be a number from 0 to 3600, got "${args['job-seconds']}"`);
if (args.seed !== 'demo' && args.seed !== 'empty') fail(`--seed must be demo or empty, got "${args.seed}"`);

try {
  const emulator = await startEmulator({
    port,
    host: args.host,
    clock: 'system',
    seed: args.seed,
    stateFile: args.state,
    jobDurationMs: jobSeconds * 1000,
  });
  console.log(`AmplifyBackend emulator listening on ${emulator.url}${args.state ? ` (state in ${args.state})` : ''}`);
  if (!isLoopback(args.host)) {
    console.warn(
      `emulator: listening on ${args.host}, beyond this machine: anyone who reaches it can change its state, ` +
        'reset it and read its stored secrets (/_emulator/state); it has no authentication',
    );
  }
  if (args.seed === 'demo') {
    // The emulator checks neither, but the aws CLI refuses to send without a region and credentials.
    console.log(
      `  AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws amplifybackend get-backend --region us-east-1 --app-id d1todoapp00001 --endpoint-url ${emulator.url}`,
    );
  }
  const shutdown = async () => {
    await emulator.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  fail((error as Error).message);
}
