import { parseArgs } from 'node:util';
import { startEmulator } from './server.js';

// `npm run emulator -- --port N [--state FILE]`: the AmplifyBackend emulator on its own, for the
// aws CLI, boto3 or any SDK pointed at it with --endpoint-url.
const usage = 'usage: npm run emulator -- [--port N] [--host H] [--state FILE] [--seed demo|empty] [--job-seconds S]';

function fail(message: string): never {
  console.error(`emulator: ${message}\n${usage}`);
  process.exit(2);
}

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
if (!(jobSeconds >= 0) || !Number.isFinite(jobSeconds)) fail(`--job-seconds must be a number >= 0, got "${args['job-seconds']}"`);
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
  console.log(`  aws amplifybackend get-backend --app-id d1todoapp00001 --endpoint-url ${emulator.url}`);
  const shutdown = async () => {
    await emulator.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  fail((error as Error).message);
}
