import { expect } from 'chai';
import * as net from 'net';
import WebSocket from 'ws';
import { performance } from 'perf_hooks';
import { isInvalidConfigError } from '../../src/index';
import {
  startFaultProxy,
  startFaultServer,
  type FaultProxy,
  type FaultServer,
  type Toxic,
} from '../../src/testing/index';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a raw TCP client saw: the bytes, how many reads, when the stream ended and how. */
interface Exchange {
  readonly data: Buffer;
  readonly reads: number;
  readonly firstAt: number | undefined;
  readonly endAt: number;
  readonly how: 'end' | 'reset' | 'aborted';
}

/** Connects to `port`, writes `send`, and collects what comes back until the connection ends (or `limit` ms). */
function exchange(port: number, send: string, limit = 2000): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    let firstAt: number | undefined;
    let how: Exchange['how'] = 'end';
    const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write(send));
    const timer = setTimeout(() => {
      how = 'aborted';
      socket.destroy();
    }, limit);
    socket.on('data', (chunk: Buffer) => {
      firstAt ??= performance.now() - started;
      chunks.push(chunk);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') how = 'reset';
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({
        data: Buffer.concat(chunks),
        reads: chunks.length,
        firstAt,
        endAt: performance.now() - started,
        how,
      });
    });
  });
}

describe('startFaultProxy', function () {
  this.timeout(10_000);
  let upstream: net.Server;
  let upstreamPort: number;
  let received: Buffer[];
  let proxy: FaultProxy | undefined;
  const upstreamSockets = new Set<net.Socket>();

  /** An upstream that answers every chunk with `reply`, then ends its side. */
  async function startUpstream(reply: Buffer): Promise<void> {
    received = [];
    upstream = net.createServer((socket) => {
      upstreamSockets.add(socket);
      socket.on('close', () => upstreamSockets.delete(socket));
      socket.on('error', () => undefined);
      socket.once('data', (chunk: Buffer) => {
        received.push(chunk);
        socket.on('data', (more: Buffer) => received.push(more));
        socket.end(reply);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamPort = (upstream.address() as net.AddressInfo).port;
  }

  const body = Buffer.alloc(4000, 'a');

  beforeEach(async () => {
    await startUpstream(body);
  });

  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    for (const socket of upstreamSockets) socket.destroy();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('should listen on 127.0.0.1 and pass bytes through unchanged without toxics', async () => {
    proxy = await startFaultProxy({ upstream: { port: upstreamPort } });
    expect(proxy.host).to.equal('127.0.0.1');
    expect(proxy.url).to.equal(`http://127.0.0.1:${proxy.port}`);
    const seen = await exchange(proxy.port, 'hello');
    expect(seen.data.equals(body)).to.equal(true);
    expect(seen.how).to.equal('end');
    expect(Buffer.concat(received).toString()).to.equal('hello');
    expect(proxy.stats).to.include({ accepted: 1, upstreamBytes: 5, downstreamBytes: 4000 });
  });

  it('should hold data back by `latency` ms', async () => {
    proxy = await startFaultProxy({
      upstream: { port: upstreamPort },
      toxics: [{ type: 'latency', latency: 120 }],
    });
    const seen = await exchange(proxy.port, 'x');
    expect(seen.firstAt).to.be.at.least(115);
    expect(seen.data.equals(body)).to.equal(true);
  });

  it('should act on the upstream direction when stream is upstream', async () => {
    proxy = await startFaultProxy({
      upstream: { port: upstreamPort },
      toxics: [{ type: 'limit_data', bytes: 3, stream: 'upstream' }],
    });
    await exchange(proxy.port, 'abcdef');
    expect(Buffer.concat(received).toString()).to.equal('abc');
  });

  it('should pace data at `rate` KB/s with bandwidth', async () => {
    proxy = await startFaultProxy({
      upstream: { port: upstreamPort },
      toxics: [{ type: 'bandwidth', rate: 20 }],
    });
    const seen = await exchange(proxy.port, 'x');
    // 4000 bytes at 20 KB/s: about 195 ms.
    expect(seen.endAt).to.be.at.least(180);
    expect(seen.reads).to.be.at.least(2);
    expect(seen.data.equals(body)).to.equal(true);
  });

  it('should split data into small pieces with slicer, delay in microseconds', async () => {
    proxy = await startFaultProxy({
      upstream: { port: upstreamPort },
      toxics: [{ type: 'slicer', average_size: 500, size_variation: 100, delay: 20_000 }],
    });
    const seen = await exchange(proxy.port, 'x');
    // 4000 bytes in pieces of at most 600: at least 7 pieces, so at least 6 gaps of 20 ms. (A busy client
    // may read several pieces at once, so the read count is only bounded loosely.)
    expect(seen.endAt).to.be.at.least(6 * 20 - 5);
    expect(seen.reads).to.be.at.least(2);
    expect(seen.data.equals(body)).to.equal(true);
  });

  it('should close after `bytes` with limit_data', async () => {
    proxy = await startFaultProxy({
      upstream: { port: upstreamPort },
      toxics: [{ type: 'limit_data', bytes: 1000 }],
    });
    const seen = await exchange(proxy.port, 'x');
    expect(seen.data.length).to.equal(1000);
  });

  it('should reset the connection with reset_peer, after its timeout', async () => {
    proxy = await startFaultProxy({
      upstream: { port: upstreamPort },
      toxics: [{ type: 'reset_peer', timeout: 60 }],
    });
    const seen = await exchange(proxy.port, 'x');
    expect(seen.how).to.equal('reset');
    expect(seen.endAt).to.be.at.least(55);
  });

  it('should blackhole with timeout: drop data, close after timeout ms, or never with 0', async () => {
    proxy = await startFaultProxy({
      upstream: { port: upstreamPort },
      toxics: [{ type: 'timeout', timeout: 80 }],
    });
    const closed = await exchange(proxy.port, 'x');
    expect([closed.data.length, closed.how]).to.deep.equal([0, 'end']);
    expect(closed.endAt).to.be.at.least(75);
    proxy.setToxics([{ type: 'timeout', timeout: 0 }]);
    const silent = await exchange(proxy.port, 'x', 200);
    expect([silent.data.length, silent.how]).to.deep.equal([0, 'aborted']);
  });

  it('should delay the close with slow_close, not the data', async () => {
    proxy = await startFaultProxy({
      upstream: { port: upstreamPort },
      toxics: [{ type: 'slow_close', delay: 100 }],
    });
    const seen = await exchange(proxy.port, 'x');
    expect(seen.firstAt).to.be.below(60);
    expect(seen.endAt).to.be.at.least(95);
    expect(seen.data.equals(body)).to.equal(true);
  });

  it('should hold timeout, reset_peer and slow_close delays above 2^31 - 1 ms instead of firing them after 1 ms', async () => {
    const beyond = 2 ** 31 + 1000;
    proxy = await startFaultProxy({
      upstream: { port: upstreamPort },
      toxics: [{ type: 'timeout', timeout: beyond }],
    });
    const blackholed = await exchange(proxy.port, 'x', 60);
    expect([blackholed.data.length, blackholed.how]).to.deep.equal([0, 'aborted']);
    proxy.setToxics([{ type: 'reset_peer', timeout: beyond }]);
    const doomed = await exchange(proxy.port, 'x', 60);
    expect([doomed.data.length, doomed.how]).to.deep.equal([0, 'aborted']);
    proxy.setToxics([{ type: 'slow_close', delay: beyond }]);
    const lingering = await exchange(proxy.port, 'x', 60);
    expect([lingering.data.equals(body), lingering.how]).to.deep.equal([true, 'aborted']);
  });

  it('should hold data forever with latency: Infinity, without spinning a timer', async () => {
    proxy = await startFaultProxy({
      upstream: { port: upstreamPort },
      toxics: [{ type: 'latency', latency: Infinity }],
    });
    const realSetTimeout = globalThis.setTimeout;
    let timers = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      timers++;
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    let held: Exchange;
    try {
      held = await exchange(proxy.port, 'x', 60);
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
    // One timer is the client's own 60 ms limit; a queue spinning on a 1 ms timer would add about 60. Other
    // work in the process (a previous spec's socket or client winding down) may set a timer or two meanwhile.
    expect([held.data.length, held.how]).to.deep.equal([0, 'aborted']);
    expect(timers, 'setTimeout calls while the data was held').to.be.at.least(1).and.below(10);
    expect(proxy.stats.downstreamBytes).to.equal(body.length);
  });

  it('should refuse connections while disabled, close open ones, and come back on the same port', async () => {
    proxy = await startFaultProxy({
      upstream: { port: upstreamPort },
      toxics: [{ type: 'timeout', timeout: 0 }],
    });
    const port = proxy.port;
    const open = exchange(port, 'x');
    await sleep(30);
    expect(proxy.stats.connections).to.equal(1);
    await proxy.disable();
    expect(proxy.enabled).to.equal(false);
    expect((await open).how).to.not.equal('aborted');
    const refused = await new Promise<string | undefined>((resolve) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code));
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
    });
    expect(refused).to.equal('ECONNREFUSED');
    await proxy.reset();
    expect([proxy.enabled, proxy.port, proxy.toxics.length]).to.deep.equal([true, port, 0]);
    expect((await exchange(port, 'x')).data.equals(body)).to.equal(true);
  });

  it('should change toxics on open connections, and restore them after withToxics', async () => {
    // An upstream that echoes, so one connection can carry two exchanges.
    const echo = net.createServer((socket) => {
      upstreamSockets.add(socket);
      socket.on('data', (chunk: Buffer) => socket.write(chunk));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    try {
      proxy = await startFaultProxy({ upstream: { port: (echo.address() as net.AddressInfo).port } });
      const socket = net.connect({ port: proxy.port, host: '127.0.0.1' });
      const roundTrip = (text: string) =>
        new Promise<number>((resolve) => {
          const started = performance.now();
          socket.once('data', () => resolve(performance.now() - started));
          socket.write(text);
        });
      expect(await roundTrip('a')).to.be.below(150);
      const slow = await proxy.withToxics([{ type: 'latency', latency: 300 }], () => roundTrip('b'));
      expect(slow).to.be.at.least(295);
      expect(proxy.toxics).to.deep.equal([]);
      expect(await roundTrip('c')).to.be.below(150);
      socket.destroy();
    } finally {
      await proxy?.close();
      await new Promise((resolve) => echo.close(resolve));
    }
  });

  it('should apply a toxic to a share of connections set by toxicity, replayed by the seed', async () => {
    const pattern = async (seed: number) => {
      const p = await startFaultProxy({
        upstream: { port: upstreamPort },
        seed,
        toxics: [{ type: 'limit_data', bytes: 10, toxicity: 0.5 }],
      });
      const out: number[] = [];
      for (let i = 0; i < 10; i++) out.push((await exchange(p.port, 'x')).data.length);
      await p.close();
      return out.map((n) => (n === 10 ? 'cut' : 'full'));
    };
    const first = await pattern(3);
    expect(first).to.include('cut');
    expect(first).to.include('full');
    expect(await pattern(3)).to.deep.equal(first);
  });

  it('should work in front of the fault server with fetch: latency, reset, down', async () => {
    const server: FaultServer = await startFaultServer();
    try {
      proxy = await startFaultProxy({ upstream: { port: server.port } });
      const started = performance.now();
      const slow = await proxy.withToxics([{ type: 'latency', latency: 80 }], async () => {
        const res = await fetch(`${proxy!.url}/ok`, { headers: { connection: 'close' } });
        return res.text();
      });
      expect(slow).to.equal('ok');
      expect(performance.now() - started).to.be.at.least(75);
      const reset = await proxy
        .withToxics([{ type: 'reset_peer' }], () =>
          fetch(`${proxy!.url}/ok`, { headers: { connection: 'close' } }),
        )
        .catch((err: { cause?: { code?: string } }) => err.cause?.code);
      expect(reset).to.equal('ECONNRESET');
      await proxy.disable();
      const down = await fetch(`${proxy.url}/ok`).catch(
        (err: { cause?: { code?: string } }) => err.cause?.code,
      );
      expect(down).to.equal('ECONNREFUSED');
    } finally {
      await proxy?.close();
      await server.close();
    }
  });

  it('should slice WebSocket frames in both directions without breaking messages', async () => {
    const server: FaultServer = await startFaultServer();
    try {
      proxy = await startFaultProxy({
        upstream: { port: server.port },
        toxics: [
          { type: 'slicer', average_size: 3, size_variation: 2, delay: 500 },
          { type: 'slicer', average_size: 3, size_variation: 2, delay: 500, stream: 'upstream' },
        ],
      });
      const long = 'x'.repeat(300);
      const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws?messages=2&every=100&then=close&code=1000`);
      const received: string[] = [];
      ws.on('open', () => ws.send(long));
      ws.on('message', (data) => received.push(String(data)));
      const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
      expect(code).to.equal(1000);
      expect(received).to.have.members([long, 'message 1', 'message 2']);
      expect(proxy.stats.downstreamBytes).to.be.greaterThan(300);
    } finally {
      await proxy?.close();
      proxy = undefined;
      await server.close();
    }
  });

  /**
   * An upstream that sends `total` bytes as fast as the proxy takes them (it honours backpressure itself),
   * to a client that connects through the proxy and never reads. Resolves once the upstream has stalled
   * (no progress for 100 ms) or sent everything, with what it sent.
   */
  async function floodUnreadClient(toxics: Toxic[], total: number): Promise<number> {
    let written = 0;
    const flood = net.createServer((socket) => {
      upstreamSockets.add(socket);
      socket.on('close', () => upstreamSockets.delete(socket));
      socket.on('error', () => undefined);
      const piece = Buffer.alloc(64 * 1024, 'f');
      const pump = (): void => {
        while (written < total) {
          written += piece.length;
          if (!socket.write(piece)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    await new Promise<void>((resolve) => flood.listen(0, '127.0.0.1', resolve));
    proxy = await startFaultProxy({
      upstream: { port: (flood.address() as net.AddressInfo).port },
      toxics,
    });
    const client = net.connect({ port: proxy.port, host: '127.0.0.1' });
    client.pause();
    client.on('error', () => undefined);
    try {
      let seen = -1;
      while (written !== seen && written < total) {
        seen = written;
        await sleep(100);
      }
      return written;
    } finally {
      stalled.push(() => {
        client.destroy();
        return new Promise((resolve) => flood.close(resolve));
      });
    }
  }
  const stalled: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const stop of stalled.splice(0)) await stop();
  });

  it('should honour backpressure: a client that never reads holds the proxy to a bounded buffer', async () => {
    const total = 64 * 1024 * 1024;
    const sent = await floodUnreadClient([], total);
    const { bufferedBytes, downstreamBytes } = proxy!.stats;
    // The upstream stalls once the kernel's loopback buffers and the proxy's own are full: megabytes, not
    // the whole stream, and the proxy itself holds no more than a socket's write buffer.
    expect(sent).to.be.below(total / 2);
    expect(downstreamBytes).to.be.below(total / 2);
    expect(bufferedBytes).to.be.below(1024 * 1024);
  });

  it('should honour backpressure behind a toxic that holds data: bandwidth and latency stay bounded', async () => {
    const total = 32 * 1024 * 1024;
    for (const toxic of [
      { type: 'bandwidth', rate: 64 },
      { type: 'latency', latency: Infinity },
    ] as Toxic[]) {
      const sent = await floodUnreadClient([toxic], total);
      expect(sent, toxic.type).to.be.below(total / 2);
      // At most the high-water mark of held data (1 MiB), plus what was in flight when reads paused.
      expect(proxy!.stats.bufferedBytes, toxic.type).to.be.below(2 * 1024 * 1024);
      await proxy!.close();
      for (const stop of stalled.splice(0)) await stop();
    }
  });

  it('should destroy every socket on close', async () => {
    proxy = await startFaultProxy({
      upstream: { port: upstreamPort },
      toxics: [{ type: 'timeout', timeout: 0 }],
    });
    const open = [exchange(proxy.port, 'x'), exchange(proxy.port, 'y')];
    await sleep(30);
    expect(proxy.stats.connections).to.equal(2);
    await proxy.close();
    expect(proxy.stats.connections).to.equal(0);
    for (const seen of await Promise.all(open)) expect(seen.how).to.not.equal('aborted');
  });

  it('should reject bad configs and toxics with InvalidConfigError naming each field', async () => {
    const bad = await startFaultProxy({ upstream: { port: 70000, host: '10.0.0.1' as '127.0.0.1' } }).catch(
      (e: unknown) => e,
    );
    expect(isInvalidConfigError(bad)).to.equal(true);
    expect((bad as Error).message).to.equal(
      "startFaultProxy: invalid config: `upstream.port` must be a port number (1-65535), got 70000 (number); `upstream.host` must be '127.0.0.1' | 'localhost' | '::1', got \"10.0.0.1\" (string)",
    );
    proxy = await startFaultProxy({ upstream: { port: upstreamPort } });
    let thrown: unknown;
    try {
      proxy.setToxics([{ type: 'latency', latency: -5, jiter: 1 } as never]);
    } catch (e) {
      thrown = e;
    }
    expect((thrown as Error).message).to.equal(
      'FaultProxy.setToxics: toxic 0: invalid config: `latency` must be a non-negative number of milliseconds, got -5 (number); unknown option `jiter`: expected one of the known options (`type`, `latency`, `name`, `stream`, `toxicity`, `jitter`), got 1 (number)',
    );
    expect(() => proxy!.setToxics([{ type: 'jam' } as never])).to.throw(
      "FaultProxy.setToxics: toxic 0: invalid config: `type` must be 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data', got \"jam\" (string)",
    );
    expect(proxy.toxics).to.deep.equal([]);
  });
});
