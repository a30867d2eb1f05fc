import { expect } from 'chai';
import * as net from 'net';
import { performance } from 'perf_hooks';
import WebSocket from 'ws';
import { isInvalidConfigError } from '../../src/index';
import { startFaultServer, type FaultServer } from '../../src/testing/index';

/** The `code` undici put in the cause chain of a rejected fetch. */
async function failure(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ?? (err as { name: string }).name;
  }
  throw new Error('expected the request to fail');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `head` as is over a raw socket (no client checks the request line) and returns all it got back. */
function rawExchange(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write(head));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

describe('startFaultServer', function () {
  this.timeout(10_000);
  let server: FaultServer;

  beforeEach(async () => {
    server = await startFaultServer({ seed: 7 });
  });

  afterEach(async () => {
    await server.close();
  });

  it('should listen on 127.0.0.1 on an ephemeral port', () => {
    expect(server.url).to.equal(`http://127.0.0.1:${server.port}`);
    expect(server.port).to.be.greaterThan(0);
    expect(server.refusedUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('should answer /ok and /status with the asked status and Retry-After', async () => {
    const ok = await fetch(server.urlOf('/ok'));
    expect([ok.status, await ok.text()]).to.deep.equal([200, 'ok']);
    const sized = await fetch(server.urlOf('/ok', { size: 300 }));
    expect((await sized.text()).length).to.equal(300);
    const unavailable = await fetch(server.urlOf('/status', { code: 503, retryAfter: 2 }));
    expect(unavailable.status).to.equal(503);
    expect(unavailable.headers.get('retry-after')).to.equal('2');
    await unavailable.text();
  });

  it('should slow /congested down past its knee, by the square of the requests in flight', async () => {
    const answers = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const res = await fetch(server.urlOf('/congested', { knee: 2, ms: 20 }));
        await res.text();
        return [Number(res.headers.get('x-fault-concurrency')), Number(res.headers.get('x-fault-delay'))];
      }),
    );
    // In flight 1 and 2: at or below the knee, 20 ms; 3: 20 * 1.5^2; 4: 20 * 2^2.
    expect(answers.sort((a, b) => a[0]! - b[0]!)).to.deep.equal([
      [1, 20],
      [2, 20],
      [3, 45],
      [4, 80],
    ]);
    // A request the client gave up on leaves the count too.
    const controller = new AbortController();
    const abandoned = fetch(server.urlOf('/congested', { knee: 1, ms: 10_000 }), {
      signal: controller.signal,
    });
    await sleep(20);
    controller.abort();
    await abandoned.catch(() => undefined);
    await server.whenSettled({ route: '/congested' });
    const alone = await fetch(server.urlOf('/congested', { ms: 1 }));
    await alone.text();
    expect(alone.headers.get('x-fault-concurrency')).to.equal('1');
    const bad = await fetch(server.urlOf('/congested', { knee: 0 }));
    expect([bad.status, await bad.text()]).to.deep.equal([
      400,
      '/congested: `knee` must be an integer >= 1, got "0"',
    ]);
  });

  it('should delay /latency by ms ± jitter, with jitter drawn from the seed', async () => {
    const delays = async (s: FaultServer) => {
      const out: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(s.urlOf('/latency', { ms: 30, jitter: 20 }));
        await res.text();
        out.push(Number(res.headers.get('x-fault-delay')));
      }
      return out;
    };
    const started = performance.now();
    const first = await delays(server);
    const elapsed = performance.now() - started;
    for (const d of first) expect(d).to.be.within(10, 50);
    expect(elapsed).to.be.at.least(first.reduce((a, b) => a + b, 0) - 3);
    expect(new Set(first).size).to.be.greaterThan(1);
    const again = await startFaultServer({ seed: 7 });
    const other = await startFaultServer({ seed: 8 });
    try {
      expect(await delays(again)).to.deep.equal(first);
      expect(await delays(other)).to.not.deep.equal(first);
    } finally {
      await again.close();
      await other.close();
    }
  });

  it('should answer the first n requests of a /burst with 503 and Retry-After, then 200, per key', async () => {
    const statuses = async (params: Record<string, string | number>, count: number) => {
      const out: Array<[number, string | null]> = [];
      for (let i = 0; i < count; i++) {
        const res = await fetch(server.urlOf('/burst', params));
        await res.text();
        out.push([res.status, res.headers.get('retry-after')]);
      }
      return out;
    };
    expect(await statuses({ n: 2, retryAfter: 3, key: 'a' }, 3)).to.deep.equal([
      [503, '3'],
      [503, '3'],
      [200, null],
    ]);
    expect((await statuses({ n: 1, key: 'b', status: 429 }, 2)).map(([s]) => s)).to.deep.equal([429, 200]);
    server.reset();
    expect((await statuses({ n: 1, key: 'a' }, 1)).map(([s]) => s)).to.deep.equal([503]);
  });

  it('should drip /drip one chunk every `every` ms', async () => {
    const started = performance.now();
    const res = await fetch(server.urlOf('/drip', { chunks: 4, every: 60, size: 2 }));
    const headersAt = performance.now() - started;
    expect(await res.text()).to.equal('........');
    const total = performance.now() - started;
    // Headers come at once, the body over four intervals.
    expect(headersAt).to.be.below(120);
    expect(total).to.be.at.least(4 * 60 - 5);
  });

  it('should send headers then reset /reset-mid-body', async () => {
    const res = await fetch(server.urlOf('/reset-mid-body', { after: 8 }));
    expect(res.status).to.equal(200);
    // The reset may reach undici as a close once the body has begun: either way the body is cut off.
    expect(await failure(res.text())).to.be.oneOf(['ECONNRESET', 'UND_ERR_SOCKET']);
    expect(server.stats('/reset-mid-body')).to.include({ requests: 1, faulted: 1, active: 0 });
  });

  it('should reset /reset, close /close, and refuse refusedUrl', async () => {
    expect(await failure(fetch(server.urlOf('/reset')))).to.equal('ECONNRESET');
    expect(await failure(fetch(server.urlOf('/close')))).to.equal('UND_ERR_SOCKET');
    expect(await failure(fetch(server.refusedUrl))).to.equal('ECONNREFUSED');
  });

  it('should keep /hang active until the client aborts, and log it as aborted', async () => {
    const controller = new AbortController();
    const pending = fetch(server.urlOf('/hang'), { signal: controller.signal });
    await sleep(60);
    expect(server.stats('/hang')).to.deep.equal({
      requests: 1,
      active: 1,
      finished: 0,
      aborted: 0,
      faulted: 0,
    });
    let timedOut = false;
    await server.whenSettled({ route: '/hang', timeout: 30 }).catch(() => (timedOut = true));
    expect(timedOut).to.equal(true);
    controller.abort();
    expect(await failure(pending)).to.equal('AbortError');
    await server.whenSettled({ route: '/hang' });
    expect(server.stats('/hang')).to.deep.equal({
      requests: 1,
      active: 0,
      finished: 0,
      aborted: 1,
      faulted: 0,
    });
    const [record] = server.requests;
    expect(record!.outcome).to.equal('aborted');
    expect(record!.endedAt! - record!.startedAt).to.be.at.least(50);
  });

  it('should hold a /latency, a /drip interval and a whenSettled timeout above 2^31 - 1 ms, not fire them after 1 ms', async () => {
    const beyond = 2 ** 31 + 1000;
    const controller = new AbortController();
    const latency = fetch(server.urlOf('/latency', { ms: beyond }), { signal: controller.signal });
    latency.catch(() => undefined);
    const drip = await fetch(server.urlOf('/drip', { chunks: 2, every: beyond }), {
      signal: controller.signal,
    });
    let chunk = false;
    drip
      .body!.getReader()
      .read()
      .then(
        () => (chunk = true),
        () => undefined,
      );
    let settled: string | undefined;
    server.whenSettled({ timeout: beyond }).then(
      () => (settled = 'resolved'),
      (e: Error) => (settled = e.message),
    );
    await sleep(50);
    expect([server.stats('/latency').active, server.stats('/drip').active, chunk, settled]).to.deep.equal([
      1,
      1,
      false,
      undefined,
    ]);
    controller.abort();
    await server.whenSettled();
    await sleep(0);
    expect(settled).to.equal('resolved');
  });

  it('should replay the same /flaky faults for the same seed', async () => {
    const run = async (s: FaultServer) => {
      const out: string[] = [];
      for (let i = 0; i < 12; i++) {
        try {
          const res = await fetch(s.urlOf('/flaky', { rate: 0.5, faults: '503,reset' }));
          await res.text();
          out.push(String(res.status));
        } catch {
          out.push('reset');
        }
      }
      return out;
    };
    const first = await run(server);
    expect(first).to.include('200');
    expect(first.some((s) => s !== '200')).to.equal(true);
    const again = await startFaultServer({ seed: 7 });
    try {
      expect(await run(again)).to.deep.equal(first);
    } finally {
      await again.close();
    }
    const never = await fetch(server.urlOf('/flaky', { rate: 0 }));
    expect(never.status).to.equal(200);
    await never.text();
  });

  it('should play a /script marble: frames, headers, chunks, end, reset', async () => {
    const started = performance.now();
    const res = await fetch(server.urlOf('/script', { s: 'h-d-d-|', frame: 20 }));
    expect(res.status).to.equal(200);
    expect(await res.text()).to.equal('dd');
    expect(performance.now() - started).to.be.at.least(55);
    const unavailable = await fetch(server.urlOf('/script', { s: '5|' }));
    expect(unavailable.status).to.equal(503);
    await unavailable.text();
    const cut = await fetch(server.urlOf('/script', { s: 'hd-#' }));
    expect(await failure(cut.text())).to.be.oneOf(['ECONNRESET', 'UND_ERR_SOCKET']);
    const bad = await fetch(server.urlOf('/script', { s: 'hx' }));
    expect(bad.status).to.equal(400);
    expect(await bad.text()).to.contain('"x"');
  });

  it('should stream /sse events, resume after Last-Event-ID, then drop the connection', async () => {
    const res = await fetch(server.urlOf('/sse', { events: 2, every: 10, retry: 50 }));
    expect(res.headers.get('content-type')).to.equal('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const code = await (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return 'done';
          text += Buffer.from(value).toString();
        }
      } catch (err) {
        return (err as { cause?: { code?: string } }).cause?.code;
      }
    })();
    expect(text).to.equal('retry: 50\n\nid: 1\ndata: event 1\n\nid: 2\ndata: event 2\n\n');
    expect(code).to.equal('UND_ERR_SOCKET');
    const resumed = await fetch(server.urlOf('/sse', { events: 1, every: 5, then: 'end' }), {
      headers: { 'last-event-id': '2' },
    });
    expect(await resumed.text()).to.equal(':\n\nid: 3\ndata: event 3\n\n');
  });

  it('should speak WebSocket: echo, push messages, then drop without a close frame (1006)', async () => {
    const ws = new WebSocket(server.wsUrlOf({ messages: 2, every: 15 }));
    const received: string[] = [];
    ws.on('open', () => ws.send('hello'));
    ws.on('message', (data) => received.push(String(data)));
    const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
    // The echo and the pushed messages interleave by timing; the pushed ones keep their order.
    expect(received).to.have.members(['hello', 'message 1', 'message 2']);
    expect(received.filter((m) => m !== 'hello')).to.deep.equal(['message 1', 'message 2']);
    expect(code).to.equal(1006);
    expect(server.stats('/ws')).to.include({ requests: 1, faulted: 1, active: 0 });
  });

  it('should close a WebSocket with a code, answer pings, and refuse an upgrade with a status', async () => {
    const ws = new WebSocket(server.wsUrlOf({ messages: 1, every: 20, then: 'close', code: 1012 }));
    const pong = new Promise<string>((resolve) => ws.on('pong', (data) => resolve(String(data))));
    ws.on('open', () => ws.ping('p1'));
    const closed = await new Promise<[number, string]>((resolve) =>
      ws.on('close', (c, reason) => resolve([c, String(reason)])),
    );
    expect(await pong).to.equal('p1');
    expect(closed).to.deep.equal([1012, 'fault server closing']);

    const refused = new WebSocket(server.wsUrlOf({ status: 503 }));
    refused.on('error', () => undefined);
    const status = await new Promise<number>((resolve) =>
      refused.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        refused.terminate();
      }),
    );
    expect(status).to.equal(503);
  });

  it('should log a WebSocket the client closed as aborted', async () => {
    const ws = new WebSocket(server.wsUrlOf({ messages: Infinity, every: 10 }));
    await new Promise((resolve) => ws.once('message', resolve));
    ws.close(1000);
    await new Promise((resolve) => ws.on('close', resolve));
    await server.whenSettled({ route: '/ws' });
    expect(server.stats('/ws')).to.include({ aborted: 1, active: 0 });
  });

  it('should answer 400 naming a bad parameter, and 404 for an unknown route', async () => {
    const bad = await fetch(server.urlOf('/latency', { ms: -1 }));
    expect([bad.status, await bad.text()]).to.deep.equal([
      400,
      '/latency: `ms` must be a number >= 0, got "-1"',
    ]);
    const unknown = await fetch(`${server.url}/nope`);
    expect(unknown.status).to.equal(404);
    await unknown.text();
  });

  it('should answer 400 to a malformed absolute URL in the request line, also on the upgrade path, and keep serving', async () => {
    const plain = await rawExchange(
      server.port,
      'GET http://[bad/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    expect(plain.split('\r\n')[0]).to.equal('HTTP/1.1 400 Bad Request');
    expect(plain).to.match(/\r\n\r\nbad request URL "http:\/\/\[bad\/"$/);
    const upgrade = await rawExchange(
      server.port,
      'GET http://[bad/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(upgrade.split('\r\n')[0]).to.equal('HTTP/1.1 400 Bad Request');
    expect(upgrade).to.match(/\r\n\r\nbad request URL "http:\/\/\[bad\/ws"$/);
    expect(server.requests.map((r) => [r.route, r.outcome])).to.deep.equal([
      ['http://[bad/', 'finished'],
      ['http://[bad/ws', 'finished'],
    ]);
    const ok = await fetch(server.urlOf('/ok'));
    expect([ok.status, await ok.text()]).to.deep.equal([200, 'ok']);
  });

  it('should keep serving when a client resets its socket as it asks an upgrade the server refuses', async () => {
    // Node takes its own error listener off an upgraded socket: without one, the reset that meets the
    // server's 404 or 400 is an uncaught ECONNRESET, and the test run ends with it.
    const upgrade = (path: string) =>
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
    for (const path of ['/nope', '/ws?status=503', '/ws?every=abc', 'http://[bad/ws']) {
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve) => {
          const socket = net.connect({ port: server.port, host: '127.0.0.1' }, () => {
            socket.write(upgrade(path));
            socket.resetAndDestroy();
          });
          socket.on('error', () => undefined);
          socket.on('close', () => resolve());
        });
      }
    }
    await sleep(50);
    const ok = await fetch(server.urlOf('/ok'));
    expect([ok.status, await ok.text()]).to.deep.equal([200, 'ok']);
  });

  it('should answer 400 to a /ok, /drip or /reset-mid-body size above 256 MiB, and keep serving', async () => {
    const cases: Array<[string, Record<string, number>, string]> = [
      ['/ok', { size: 600_000_000 }, '/ok: `size` must be an integer in [0, 268435456], got "600000000"'],
      ['/drip', { size: 268_435_457 }, '/drip: `size` must be an integer in [1, 268435456], got "268435457"'],
      [
        '/reset-mid-body',
        { after: 300_000_000 },
        '/reset-mid-body: `after` must be an integer in [0, 268435456], got "300000000"',
      ],
    ];
    for (const [route, params, message] of cases) {
      const res = await fetch(server.urlOf(route as '/ok', params));
      expect([res.status, await res.text()], route).to.deep.equal([400, message]);
    }
    const ok = await fetch(server.urlOf('/ok', { size: 5 }));
    expect([ok.status, await ok.text()]).to.deep.equal([200, 'xxxxx']);
  });

  it('should stream a large body rather than build it: a client that reads nothing costs no body-sized buffer', async () => {
    const size = 50_000_000;
    const before = process.memoryUsage().arrayBuffers;
    const socket = net.connect({ port: server.port, host: '127.0.0.1' }, () =>
      socket.write(`GET /ok?size=${size} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`),
    );
    socket.pause();
    try {
      while (server.stats('/ok').requests === 0) await sleep(5);
      await sleep(50);
      // What the server holds for this request beyond the kernel's socket buffers: a few pieces at most.
      const held = process.memoryUsage().arrayBuffers - before;
      expect(held).to.be.below(size / 10);
      expect(server.stats('/ok').active).to.equal(1);
    } finally {
      socket.destroy();
    }
    const sized = await fetch(server.urlOf('/ok', { size: 3_000_001 }));
    const body = Buffer.from(await sized.arrayBuffer());
    expect([sized.headers.get('content-length'), body.length]).to.deep.equal(['3000001', 3_000_001]);
    expect(body.every((byte) => byte === 0x78)).to.equal(true);
    const dripped = await fetch(server.urlOf('/drip', { chunks: 2, every: 1, size: 100_000 }));
    expect(await dripped.text()).to.equal('.'.repeat(200_000));
  });

  it('should drop a WebSocket whose client announces a frame above 256 MiB, and keep serving', async () => {
    const head =
      'GET /ws?messages=0&then=hang HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
    const frame = Buffer.alloc(14);
    frame[0] = 0x82;
    frame[1] = 0xff;
    frame.writeBigUInt64BE(2n ** 40n, 2);
    const seen = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = net.connect({ port: server.port, host: '127.0.0.1' }, () => socket.write(head));
      socket.once('data', () => socket.write(frame));
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    });
    expect(seen.split('\r\n')[0]).to.equal('HTTP/1.1 101 Switching Protocols');
    await server.whenSettled({ route: '/ws' });
    expect(server.stats('/ws')).to.include({ requests: 1, faulted: 1 });
    const ok = await fetch(server.urlOf('/ok'));
    expect([ok.status, await ok.text()]).to.deep.equal([200, 'ok']);
  });

  it('should destroy open sockets and clear its timers on close', async () => {
    const own = await startFaultServer();
    const hanging = failure(fetch(own.urlOf('/hang')));
    const dripping = failure(fetch(own.urlOf('/drip', { chunks: Infinity, every: 5 })).then((r) => r.text()));
    await sleep(30);
    expect(own.connections).to.equal(2);
    await own.close();
    expect(own.connections).to.equal(0);
    // Destroying a socket with unread input sends a reset rather than a FIN: both mean "closed under it".
    expect(await hanging).to.be.oneOf(['UND_ERR_SOCKET', 'ECONNRESET']);
    expect(await dripping).to.be.oneOf(['UND_ERR_SOCKET', 'ECONNRESET']);
    expect(own.stats()).to.include({ active: 0, faulted: 2 });
    expect(await failure(fetch(own.urlOf('/ok')))).to.equal('ECONNREFUSED');
  });

  it('should reject a bad config with InvalidConfigError', async () => {
    const error = await startFaultServer({ seed: 'x' as unknown as number }).catch((e: unknown) => e);
    expect(isInvalidConfigError(error)).to.equal(true);
    expect((error as Error).message).to.equal(
      'startFaultServer: invalid config: `seed` must be a finite number, got "x" (string)',
    );
  });
});
