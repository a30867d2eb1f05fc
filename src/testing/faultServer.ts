import * as http from 'http';
import * as net from 'net';
import { performance } from 'perf_hooks';
import { config, finiteNumber } from '../internal/codecs';
import { decodeConfig } from '../internal/decodeConfig';
import { RouteParamError, RouteParams } from './faultServer/routeParams';
import { seededRandom } from '../chaos/seededRandom';
import { realTimer, type CancelTimer } from './realTimer';
import {
  ClientFrameParser,
  acceptKey,
  closePayload,
  encodeFrame,
  opcodes,
} from './faultServer/webSocketFrames';
import { MAX_BODY_SIZE, writeRepeated } from './faultServer/writeRepeated';

/** The routes of a fault server; each takes its parameters from the query string. */
export type FaultRoute =
  | '/ok'
  | '/status'
  | '/latency'
  | '/congested'
  | '/burst'
  | '/drip'
  | '/reset-mid-body'
  | '/hang'
  | '/reset'
  | '/close'
  | '/flaky'
  | '/script'
  | '/sse'
  | '/ws';

/** Every route, in the order docs/fault-server.md documents them. */
const faultRoutes: ReadonlyArray<FaultRoute> = [
  '/ok',
  '/status',
  '/latency',
  '/congested',
  '/burst',
  '/drip',
  '/reset-mid-body',
  '/hang',
  '/reset',
  '/close',
  '/flaky',
  '/script',
  '/sse',
  '/ws',
];

/** Config of `startFaultServer`. */
export interface FaultServerConfig {
  /** Seed of every random draw the server makes (latency jitter, `/flaky` faults): same seed, same draws. @default 1 */
  readonly seed?: number | undefined;
}

/**
 * How one request ended: `finished` (the server sent all it meant to), `aborted` (the client closed the
 * connection first: a cancelled request), or `faulted` (the server broke it on purpose: reset, FIN, drop,
 * or the server was closed under it).
 */
export type FaultRequestOutcome = 'finished' | 'aborted' | 'faulted';

/** One request (or WebSocket session) the server received. */
export interface FaultRequestRecord {
  /** The route's path (`/hang`), or the path asked for when no route matched. */
  readonly route: string;
  /** Path and query as received. */
  readonly url: string;
  readonly method: string;
  /** `performance.now()` when the request arrived, in ms. */
  readonly startedAt: number;
  /** `performance.now()` when it ended; `undefined` while it is active. */
  readonly endedAt: number | undefined;
  /** How it ended; `undefined` while it is active. */
  readonly outcome: FaultRequestOutcome | undefined;
}

/** Counts of requests, for one route or all of them. */
export interface FaultRouteStats {
  /** Requests received. */
  readonly requests: number;
  /** Requests still running (the server neither finished nor faulted them, and the client is still there). */
  readonly active: number;
  readonly finished: number;
  /** Requests the client gave up on: the server saw the socket close before it finished. */
  readonly aborted: number;
  readonly faulted: number;
}

/** A loopback HTTP/SSE/WebSocket server whose routes fail on purpose. */
export interface FaultServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** A URL on 127.0.0.1 where nothing listens: connecting is refused (`ECONNREFUSED`). */
  readonly refusedUrl: string;
  /** Requests received so far, oldest first (cleared by `reset()`). */
  readonly requests: ReadonlyArray<FaultRequestRecord>;
  /** TCP connections open on the server right now. */
  readonly connections: number;
  /** `url` + `route` + the query built from `params`: `server.urlOf('/burst', { n: 2, retryAfter: 0 })`. */
  urlOf(route: FaultRoute, params?: Readonly<Record<string, string | number>>): string;
  /** The same as `urlOf` with the `ws:` scheme, for `/ws`. */
  wsUrlOf(params?: Readonly<Record<string, string | number>>): string;
  /** Counts for `route`, or for every route. */
  stats(route?: FaultRoute): FaultRouteStats;
  /**
   * Resolves once no request (of `route`, or of any route) is active; rejects after `timeout` ms (default
   * 1000) naming what is still running. This is how a test asserts "no request left running".
   */
  whenSettled(options?: {
    readonly route?: FaultRoute | undefined;
    readonly timeout?: number | undefined;
  }): Promise<void>;
  /** Forgets the request log and the `/burst` counters. */
  reset(): void;
  /** Stops listening, destroys every open socket and clears every timer. Resolves when all is closed. */
  close(): Promise<void>;
}

const configCodec = config('FaultServerConfig', {}, { seed: finiteNumber });

interface MutableRecord {
  route: string;
  url: string;
  method: string;
  startedAt: number;
  endedAt: number | undefined;
  outcome: FaultRequestOutcome | undefined;
}

/** What a route handler gets: the request, its log record and timers that die with it. */
interface Exchange {
  readonly req: http.IncomingMessage;
  readonly socket: net.Socket;
  readonly params: RouteParams;
  readonly record: MutableRecord;
  /** Runs `fn` after `ms`, unless the request ended or the server closed first. */
  later(ms: number, fn: () => void): void;
  /** Ends the record as faulted (first outcome wins) and breaks the connection. */
  fault(how: 'reset' | 'fin'): void;
}

/**
 * Starts a fault server on `127.0.0.1`, on an ephemeral port (never another address). Every route fails
 * in one documented way, driven by its query string, so each test states its fault where it makes the
 * request. Randomness (latency jitter, `/flaky`) comes from a PRNG seeded by `seed`. A bad query
 * parameter, a size above 256 MiB (268435456 bytes) or a request line whose URL does not parse is
 * answered with `400`, and the server keeps serving. Bodies are streamed from a shared 64 KiB piece, so
 * a client that reads slowly holds the server to a socket's worth of memory. Any delay may exceed
 * `setTimeout`'s 2^31 - 1 ms: it is waited in full.
 *
 * | route | query (defaults) | behaviour |
 * | --- | --- | --- |
 * | `/ok` | `size` (at most 256 MiB) | `200` with body `ok`, or `size` bytes, streamed |
 * | `/status` | `code=200`, `retryAfter` (s) | that status, with `Retry-After` when given |
 * | `/latency` | `ms=100`, `jitter=0` | `200` after `ms ± jitter` (seeded uniform draw) |
 * | `/congested` | `knee=20`, `ms=100`, `jitter=0` | `200` after `(ms ± jitter) * max(1, c / knee)^2`, `c` the `/congested` requests in flight as it arrives (itself included): a dependency that slows down past its knee, as contention makes one |
 * | `/burst` | `n=3`, `retryAfter=1` (s), `status=503`, `key` | the first `n` requests per `key` get `status` with `Retry-After`, later ones `200` |
 * | `/drip` | `chunks=10`, `every=50` (ms), `size=1` (at most 256 MiB) | headers at once, then a chunk of `size` bytes every `every` ms once the last one was flushed (`chunks=Infinity`: forever) |
 * | `/reset-mid-body` | `after=16` (bytes, at most 256 MiB), `delay=5` (ms) | headers and part of the body, then a TCP reset |
 * | `/hang` | | reads the request, never answers (headers never sent) |
 * | `/reset` | | TCP reset (RST) as the request arrives |
 * | `/close` | | closes the connection (FIN) as the request arrives, no response |
 * | `/flaky` | `rate=0.5`, `faults=503,reset`, `ms=200` | with probability `rate` one of `faults` (`503`, `reset`, `close`, `hang`, `slow`), else `200` |
 * | `/script` | `s` (marble), `frame=10` (ms) | plays a marble: `-` one frame, `h` 200 headers, `5` 503 headers, `d` a body chunk, `\|` end, `#` reset, `f` FIN |
 * | `/sse` | `events=3`, `every=20` (ms), `retry`, `then=drop` | `text/event-stream` events (ids resume after `Last-Event-ID`), then `drop` (FIN mid-stream), `end`, `reset` or `hang` |
 * | `/ws` | `messages=3`, `every=20` (ms), `then=drop`, `code=1001`, `status` | WebSocket: echoes text, sends `message <i>` frames, then `drop` (no close frame: 1006), `close` (close frame with `code`), `reset` or `hang`; `status` refuses the upgrade with that HTTP status |
 *
 * @example
 * const server = await startFaultServer({ seed: 7 });
 * const res = await fetch(server.urlOf('/burst', { n: 2, retryAfter: 0 })); // 503
 * await server.close();
 * @throws {InvalidConfigError} when the config is bad.
 */
export async function startFaultServer(options: FaultServerConfig = {}): Promise<FaultServer> {
  const { seed = 1 } = decodeConfig('startFaultServer', configCodec, options);
  const random = seededRandom(seed);
  const sockets = new Set<net.Socket>();
  const timers = new Set<CancelTimer>();
  const bursts = new Map<string, number>();
  /** `/congested` requests in flight (answered or not, until their response closes). */
  let congested = 0;
  let records: MutableRecord[] = [];
  let settleWaiters: Array<() => void> = [];
  let closing = false;

  const notifySettled = (): void => {
    const waiters = settleWaiters;
    settleWaiters = [];
    for (const check of waiters) check();
  };

  const end = (record: MutableRecord, outcome: FaultRequestOutcome): void => {
    if (record.outcome !== undefined) return;
    record.outcome = outcome;
    record.endedAt = performance.now();
    notifySettled();
  };

  const open = (req: http.IncomingMessage, route: string): MutableRecord => {
    const record: MutableRecord = {
      route,
      url: req.url ?? '/',
      method: req.method ?? 'GET',
      startedAt: performance.now(),
      endedAt: undefined,
      outcome: undefined,
    };
    records.push(record);
    return record;
  };

  const exchange = (
    req: http.IncomingMessage,
    socket: net.Socket,
    record: MutableRecord,
    params: RouteParams,
    ended: NodeJS.EventEmitter,
  ): Exchange => {
    const own = new Set<CancelTimer>();
    const clear = (): void => {
      for (const cancel of own) {
        cancel();
        timers.delete(cancel);
      }
      own.clear();
    };
    ended.once('close', clear);
    const ex: Exchange = {
      req,
      socket,
      params,
      record,
      later(ms, fn) {
        if (closing || record.outcome !== undefined) return;
        const cancel = realTimer(ms, () => {
          own.delete(cancel);
          timers.delete(cancel);
          if (!closing && !socket.destroyed) fn();
        });
        own.add(cancel);
        timers.add(cancel);
      },
      fault(how) {
        end(record, 'faulted');
        clear();
        if (how === 'reset') socket.resetAndDestroy();
        else socket.destroy();
      },
    };
    return ex;
  };

  const server = http.createServer({ requestTimeout: 0, headersTimeout: 0, keepAliveTimeout: 5000 });

  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (closing) socket.destroy();
  });

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = requestUrl(req);
    const route = url?.pathname ?? req.url ?? '/';
    const record = open(req, route);
    res.once('close', () => end(record, res.writableFinished ? 'finished' : closing ? 'faulted' : 'aborted'));
    // Drain the request body so a client that sends one is never stuck writing it.
    req.resume();
    if (url === undefined) {
      send(res, 400, badUrl(req));
      return;
    }
    const ex = exchange(req, req.socket, record, new RouteParams(route, url.searchParams), res);
    try {
      const handler = httpRoutes[route as FaultRoute];
      if (handler === undefined) {
        send(res, 404, `no route ${route}; routes: ${faultRoutes.join(' ')}`);
        return;
      }
      handler(ex, res);
    } catch (err) {
      send(res, ...failureOf(err));
    }
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    // Node takes its own error listener off a socket it hands to 'upgrade': a client that resets while
    // the server answers would otherwise be an uncaught ECONNRESET that ends the process.
    socket.on('error', () => undefined);
    const url = requestUrl(req);
    const record = open(req, url?.pathname ?? req.url ?? '/');
    socket.once('close', () => end(record, closing ? 'faulted' : 'aborted'));
    if (url === undefined) {
      rawResponse(socket, 400, badUrl(req));
      end(record, 'finished');
      return;
    }
    const ex = exchange(req, socket, record, new RouteParams(url.pathname, url.searchParams), socket);
    try {
      if (url.pathname !== '/ws') {
        rawResponse(socket, 404, `no WebSocket route ${url.pathname}`);
        end(record, 'finished');
        return;
      }
      webSocketRoute(ex, end);
    } catch (err) {
      rawResponse(socket, ...failureOf(err));
      end(record, 'finished');
    }
  });

  type Handler = (ex: Exchange, res: http.ServerResponse) => void;
  const httpRoutes: Partial<Record<FaultRoute, Handler>> = {
    '/ok': ({ params }, res) => {
      const size = params.number('size', -1, { integer: true, min: 0, max: MAX_BODY_SIZE });
      if (size < 0) {
        send(res, 200, 'ok');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(size) });
      writeRepeated(res, 'x', size, () => res.end());
    },
    '/status': ({ params }, res) => {
      const code = params.number('code', 200, { integer: true, min: 200, max: 599 });
      const retryAfter = params.number('retryAfter', -1, { integer: true, min: 0 });
      send(res, code, `status ${code}`, retryAfter >= 0 ? { 'retry-after': String(retryAfter) } : {});
    },
    '/latency': ({ params, later }, res) => {
      const ms = params.number('ms', 100);
      const jitter = params.number('jitter', 0);
      const delay = Math.max(0, ms + (2 * random() - 1) * jitter);
      later(delay, () => send(res, 200, 'ok', { 'x-fault-delay': delay.toFixed(1) }));
    },
    '/congested': ({ params, later }, res) => {
      const knee = params.number('knee', 20, { integer: true, min: 1 });
      const ms = params.number('ms', 100);
      const jitter = params.number('jitter', 0);
      const inFlight = ++congested;
      res.once('close', () => congested--);
      const load = Math.max(1, inFlight / knee);
      const delay = Math.max(0, ms + (2 * random() - 1) * jitter) * load * load;
      later(delay, () =>
        send(res, 200, 'ok', { 'x-fault-delay': delay.toFixed(1), 'x-fault-concurrency': String(inFlight) }),
      );
    },
    '/burst': ({ params }, res) => {
      const n = params.number('n', 3, { integer: true, min: 0 });
      const retryAfter = params.number('retryAfter', 1, { integer: true, min: 0 });
      const status = params.number('status', 503, { integer: true, min: 400, max: 599 });
      const key = params.string('key', '');
      const attempt = (bursts.get(key) ?? 0) + 1;
      bursts.set(key, attempt);
      const headers = { 'x-fault-attempt': String(attempt) };
      if (attempt <= n) {
        send(res, status, `burst ${attempt}/${n}`, { ...headers, 'retry-after': String(retryAfter) });
      } else send(res, 200, 'ok', headers);
    },
    '/drip': ({ params, later }, res) => {
      const chunks = params.number('chunks', 10, { integer: true, min: 0, infinite: true });
      const every = params.number('every', 50);
      const size = params.number('size', 1, { integer: true, min: 1, max: MAX_BODY_SIZE });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.flushHeaders();
      let sent = 0;
      const drip = (): void => {
        if (sent >= chunks) {
          res.end();
          return;
        }
        sent++;
        // The next interval starts once this chunk is flushed: a client that stops reading stops the drip.
        writeRepeated(res, '.', size, () => later(every, drip));
      };
      later(every, drip);
    },
    '/reset-mid-body': ({ params, later, fault }, res) => {
      const after = params.number('after', 16, { integer: true, min: 0, max: MAX_BODY_SIZE });
      const delay = params.number('delay', 5);
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(after * 2 + 1) });
      res.flushHeaders();
      writeRepeated(res, '.', after, () => later(delay, () => fault('reset')));
    },
    '/hang': () => {
      // Accept and never answer: no headers, no body; the request stays active until the client leaves.
    },
    '/reset': ({ fault }) => fault('reset'),
    '/close': ({ fault }) => fault('fin'),
    '/flaky': (ex, res) => {
      const rate = ex.params.number('rate', 0.5, { max: 1 });
      const faults = ex.params.listOf('faults', ['503', 'reset', 'close', 'hang', 'slow'], ['503', 'reset']);
      const ms = ex.params.number('ms', 200);
      if (random() >= rate) {
        send(res, 200, 'ok');
        return;
      }
      const chosen = faults[Math.min(faults.length - 1, Math.floor(random() * faults.length))]!;
      res.setHeader('x-fault', chosen);
      switch (chosen) {
        case '503':
          send(res, 503, 'flaky 503', { 'retry-after': '0' });
          return;
        case 'reset':
          ex.fault('reset');
          return;
        case 'close':
          ex.fault('fin');
          return;
        case 'hang':
          return;
        case 'slow':
          ex.later(ms, () => send(res, 200, 'ok'));
          return;
      }
    },
    '/script': (ex, res) => {
      const script = ex.params.string('s', '');
      const frame = ex.params.number('frame', 10);
      const steps = parseScript(script);
      let at = 0;
      const run = (step: ScriptStep): void => {
        switch (step) {
          case 'h':
          case '5':
            if (!res.headersSent) {
              res.writeHead(step === 'h' ? 200 : 503, step === '5' ? { 'retry-after': '0' } : {});
              res.flushHeaders();
            }
            return;
          case 'd':
            res.write('d');
            return;
          case '|':
            res.end();
            return;
          case '#':
            ex.fault('reset');
            return;
          case 'f':
            ex.fault('fin');
            return;
        }
      };
      for (const step of steps) {
        if (step === '-') {
          at += frame;
          continue;
        }
        if (at === 0) run(step);
        else ex.later(at, () => run(step));
      }
    },
    '/sse': ({ req, params, later, fault }, res) => {
      const events = params.number('events', 3, { integer: true, min: 0, infinite: true });
      const every = params.number('every', 20);
      const retry = params.number('retry', -1, { integer: true, min: 0 });
      const then = params.oneOf('then', ['drop', 'end', 'reset', 'hang'], 'drop');
      const lastId = Number(req.headers['last-event-id'] ?? 0);
      let id = Number.isSafeInteger(lastId) && lastId > 0 ? lastId : 0;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(retry >= 0 ? `retry: ${retry}\n\n` : ':\n\n');
      let sent = 0;
      const tick = (): void => {
        if (sent >= events) {
          if (then === 'drop') fault('fin');
          else if (then === 'reset') fault('reset');
          else if (then === 'end') res.end();
          return;
        }
        sent++;
        id++;
        res.write(`id: ${id}\ndata: event ${id}\n\n`);
        later(every, tick);
      };
      later(every, tick);
    },
  };

  function webSocketRoute(ex: Exchange, finish: (r: MutableRecord, o: FaultRequestOutcome) => void): void {
    const { req, socket, params, record, later } = ex;
    const messages = params.number('messages', 3, { integer: true, min: 0, infinite: true });
    const every = params.number('every', 20);
    const then = params.oneOf('then', ['drop', 'close', 'reset', 'hang'], 'drop');
    const code = params.number('code', 1001, { integer: true, min: 1000, max: 4999 });
    const status = params.number('status', -1, { integer: true, min: 400, max: 599 });
    const key = req.headers['sec-websocket-key'];
    if (status >= 0 || typeof key !== 'string' || req.headers.upgrade?.toLowerCase() !== 'websocket') {
      rawResponse(
        socket,
        status >= 0 ? status : 400,
        status >= 0 ? `refused with ${status}` : 'not a WebSocket upgrade',
      );
      finish(record, 'finished');
      return;
    }
    socket.setNoDelay(true);
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
    );
    let closeSent = false;
    const sendClose = (closeCode: number, reason: string): void => {
      if (closeSent || socket.destroyed) return;
      closeSent = true;
      socket.write(encodeFrame(opcodes.close, closePayload(closeCode, reason)));
    };
    const parser = new ClientFrameParser();
    socket.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = parser.push(chunk);
      } catch {
        ex.fault('fin');
        return;
      }
      for (const frame of frames) {
        if (frame.opcode === opcodes.text || frame.opcode === opcodes.binary) {
          if (!closeSent) socket.write(encodeFrame(frame.opcode, frame.payload));
        } else if (frame.opcode === opcodes.ping) {
          socket.write(encodeFrame(opcodes.pong, frame.payload));
        } else if (frame.opcode === opcodes.close) {
          // The client closed: answer with its code (as RFC 6455 asks) and end the TCP connection.
          const clientCode = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1000;
          if (!closeSent) finish(record, 'aborted');
          sendClose(clientCode, '');
          socket.end();
        }
      }
    });
    let sent = 0;
    const tick = (): void => {
      if (closeSent) return;
      if (sent >= messages) {
        if (then === 'drop') ex.fault('fin');
        else if (then === 'reset') ex.fault('reset');
        else if (then === 'close') {
          finish(record, 'finished');
          sendClose(code, 'fault server closing');
          socket.end();
        }
        return;
      }
      sent++;
      socket.write(encodeFrame(opcodes.text, Buffer.from(`message ${sent}`)));
      later(every, tick);
    };
    later(every, tick);
  }

  await listen(server);
  const port = (server.address() as net.AddressInfo).port;
  const refusedPort = await closedPort();
  const url = `http://127.0.0.1:${port}`;

  const stats = (route?: FaultRoute): FaultRouteStats => {
    let requests = 0;
    let active = 0;
    let finished = 0;
    let aborted = 0;
    let faulted = 0;
    for (const r of records) {
      if (route !== undefined && r.route !== route) continue;
      requests++;
      if (r.outcome === undefined) active++;
      else if (r.outcome === 'finished') finished++;
      else if (r.outcome === 'aborted') aborted++;
      else faulted++;
    }
    return { requests, active, finished, aborted, faulted };
  };

  const query = (params: Readonly<Record<string, string | number>> | undefined): string => {
    if (params === undefined) return '';
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) search.set(k, String(v));
    const text = search.toString();
    return text === '' ? '' : `?${text}`;
  };

  let closed: Promise<void> | undefined;

  return {
    url,
    port,
    refusedUrl: `http://127.0.0.1:${refusedPort}`,
    get requests() {
      return records.map((r) => ({ ...r }));
    },
    get connections() {
      return sockets.size;
    },
    urlOf: (route, params) => `${url}${route}${query(params)}`,
    wsUrlOf: (params) => `ws://127.0.0.1:${port}/ws${query(params)}`,
    stats,
    whenSettled({ route, timeout = 1000 } = {}) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (stats(route).active === 0) {
            cancel();
            resolve();
          } else settleWaiters.push(check);
        };
        const cancel = realTimer(timeout, () => {
          settleWaiters = settleWaiters.filter((w) => w !== check);
          const running = records.filter(
            (r) => r.outcome === undefined && (route === undefined || r.route === route),
          );
          reject(
            new Error(
              `fault server: ${running.length} request(s) still active after ${timeout}ms: ${running.map((r) => r.url).join(', ')}`,
            ),
          );
        });
        check();
      });
    },
    reset() {
      records = records.filter((r) => r.outcome === undefined);
      bursts.clear();
    },
    close() {
      if (closed !== undefined) return closed;
      closing = true;
      const open = [...sockets].map(
        (socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())),
      );
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const cancel of timers) cancel();
      timers.clear();
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      closed = Promise.all([stopped, ...open]).then(() => undefined);
      return closed;
    },
  };
}

/**
 * The URL of a request line, or `undefined` when it cannot be parsed (`GET http://[bad/ HTTP/1.1`: Node's
 * parser lets an absolute URL through unchecked). Origin-form paths resolve against the loopback origin.
 */
function requestUrl(req: http.IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://127.0.0.1');
  } catch {
    return undefined;
  }
}

function badUrl(req: http.IncomingMessage): string {
  return `bad request URL ${JSON.stringify(req.url ?? '')}`;
}

/**
 * The answer to a route that threw: `400` with the message of a bad parameter, `500` naming anything
 * else. Either way the server keeps serving: one bad request must never take a test run down.
 */
function failureOf(err: unknown): [status: number, body: string] {
  if (err instanceof RouteParamError) return [400, err.message];
  return [500, `fault server error: ${err instanceof Error ? err.message : String(err)}`];
}

type ScriptStep = '-' | 'h' | '5' | 'd' | '|' | '#' | 'f';

function parseScript(script: string): ScriptStep[] {
  const steps: ScriptStep[] = [];
  for (const char of script) {
    if (char === ' ') continue;
    if (!'-h5d|#f'.includes(char)) {
      throw new RouteParamError(
        `/script: \`s\` may hold only - h 5 d | # f and spaces, got ${JSON.stringify(char)} in ${JSON.stringify(script)}`,
      );
    }
    steps.push(char as ScriptStep);
  }
  return steps;
}

function send(
  res: http.ServerResponse,
  status: number,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'text/plain',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

function rawResponse(socket: net.Socket, status: number, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\n` +
      `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function listen(server: net.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** An ephemeral port on 127.0.0.1 that was free a moment ago and has no listener now. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await listen(probe);
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
