import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));

/**
 * Starts one benchmark server as a child process and returns a handle to steer it.
 * `profileDir`: run it with --cpu-prof, the profile written there when it exits.
 */
export function startServer(variant, idp, { profileDir, profileIntervalUs } = {}) {
  const execArgv = ['--max-old-space-size=512'];
  if (profileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${variant.framework}-${variant.id}.cpuprofile`);
  if (profileDir && profileIntervalUs) execArgv.push(`--cpu-prof-interval=${profileIntervalUs}`);
  const child = fork(SERVER, [variant.framework, variant.id], {
    env: { ...process.env, NODE_ENV: 'production', BENCH_IDP: JSON.stringify(idp) },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let seq = 0;
  const waiting = new Map();
  child.on('message', (msg) => {
    const w = waiting.get(msg?.seq);
    if (w) {
      waiting.delete(msg.seq);
      w(msg);
    }
  });
  const ready = new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`${variant.framework}:${variant.id} exited with ${code} before listening`));
    child.once('exit', onExit);
    child.on('message', (msg) => {
      if (msg?.ready) {
        child.off('exit', onExit);
        resolve(msg);
      }
    });
  });
  function ask(cmd) {
    const s = ++seq;
    return new Promise((resolve) => {
      waiting.set(s, resolve);
      child.send({ cmd, seq: s });
    });
  }
  return {
    variant,
    pid: child.pid,
    ready,
    start: () => ask('start'),
    stop: () => ask('stop'),
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ cmd: 'exit' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
