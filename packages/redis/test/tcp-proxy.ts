import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP proxy in front of the real Redis whose link the test can hang, cut or restore. */
export interface TcpProxy {
  readonly url: string;
  /** `pass`: forward. `hang`: hold every byte (a partitioned network). `down`: drop and refuse. */
  setMode(mode: 'pass' | 'hang' | 'down'): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const url = new URL(target);
  const pairs = new Set<[Socket, Socket]>();
  let mode: 'pass' | 'hang' | 'down' = 'pass';
  const server: Server = createServer((inbound) => {
    if (mode === 'down') { inbound.destroy(); return; }
    const outbound = connect(Number(url.port || 6379), url.hostname);
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const drop = () => { inbound.destroy(); outbound.destroy(); pairs.delete(pair); };
    inbound.on('error', drop).on('close', drop);
    outbound.on('error', drop).on('close', drop);
    if (mode === 'hang') { inbound.pause(); outbound.pause(); }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const auth = url.username || url.password ? `${url.username}:${url.password}@` : '';
  return {
    url: `redis://${auth}127.0.0.1:${port}${url.pathname}`,
    setMode(next) {
      mode = next;
      for (const [a, b] of pairs) {
        if (next === 'down') { a.destroy(); b.destroy(); }
        else if (next === 'hang') { a.unpipe(); b.unpipe(); a.pause(); b.pause(); }
        else { a.pipe(b); b.pipe(a); a.resume(); b.resume(); }
      }
      if (next === 'down') pairs.clear();
    },
    async close() {
      for (const [a, b] of pairs) { a.destroy(); b.destroy(); }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
