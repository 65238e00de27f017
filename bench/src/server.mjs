// One benchmark server in its own process: `node server.mjs <framework> <variant-id>`, with the
// IdP and token in BENCH_IDP (JSON). It reports its port over IPC, then answers IPC commands:
// `start` (remember process.cpuUsage() and the clock), `stop` (CPU and time since `start`),
// `exit`. The CPU figure is the server's own: user + system time of this process only.
import { FRAMEWORKS } from './variants.mjs';

const [framework, id] = process.argv.slice(2);
const variant = FRAMEWORKS[framework]?.find((v) => v.id === id);
if (!variant || !process.send) {
  console.error('usage (as a child with IPC): server.mjs <framework> <variant>');
  process.exit(2);
}
const idp = JSON.parse(process.env.BENCH_IDP ?? '{}');

const { createApp } = await import(`./apps/${framework}.mjs`);
const app = await createApp(variant, idp);
const server = await app.listen();
const { port } = server.address();

let cpu0 = process.cpuUsage();
let t0 = process.hrtime.bigint();
process.on('message', (msg) => {
  switch (msg?.cmd) {
    case 'start':
      cpu0 = process.cpuUsage();
      t0 = process.hrtime.bigint();
      process.send({ seq: msg.seq });
      break;
    case 'stop': {
      const cpu = process.cpuUsage(cpu0);
      const mem = process.memoryUsage();
      process.send({ seq: msg.seq, userUs: cpu.user, systemUs: cpu.system, elapsedMs: Number(process.hrtime.bigint() - t0) / 1e6, rss: mem.rss, heapUsed: mem.heapUsed });
      break;
    }
    case 'exit':
      server.close();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true, port, apiToken: app.apiToken });
