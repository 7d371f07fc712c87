const { defineConfig } = await import('./dist/config.js');
const { createGateway } = await import('./dist/server.js');
const gw = await createGateway(defineConfig({ upstream: { kind: 'aws', endpoint: 'http://127.0.0.1:4999', region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }, access: { insecure: true }, logLevel: 'warn', limits: { rateLimitPerMinute: 0 } }));
const APP = 'd1todoapp00001';
const q = `{ app(appId: "${APP}") { appName environments { name
  apis { resourceName config { apiName } } auth { resourceName config { authResources } }
  storages { resourceName config { bucketName } } jobs(first: 10) { edges { node { jobId status } } } } } }`;
const orig = gw.aws.call.bind(gw.aws);
let t0 = 0; const log = [];
gw.aws.call = async (op, input, o) => { const s = performance.now() - t0; try { return await orig(op, input, o); } finally { log.push(`${op.padEnd(18)} ${s.toFixed(1)} -> ${(performance.now() - t0).toFixed(1)}`); } };
const run = async () => { const r = await gw.yoga.fetch('http://x/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q }) }); return r.text(); };
for (let i = 0; i < 300; i++) await run();
for (let i = 0; i < 3; i++) { log.length = 0; t0 = performance.now(); await run(); console.log('total', (performance.now() - t0).toFixed(1)); console.log(log.join('\n')); }
await gw.stop?.(); process.exit(0);
