import * as net from 'net';
import * as t from 'io-ts';
import { config, finiteNumber, oneOf, positiveInt } from '../internal/codecs';
import { decodeConfig } from '../internal/decodeConfig';
import { InvalidConfigError } from '../errors/InvalidConfigError';
import { seededRandom } from '../chaos/seededRandom';
import { createStage, toxicCodec, type LinkControl, type Stage, type Toxic } from './faultProxy/toxics';
import type { Sink } from './faultProxy/delayQueue';
import { realTimer, type CancelTimer } from './realTimer';

export type {
  Toxic,
  ToxicCommon,
  LatencyToxic,
  BandwidthToxic,
  SlowCloseToxic,
  TimeoutToxic,
  ResetPeerToxic,
  SlicerToxic,
  LimitDataToxic,
} from './faultProxy/toxics';

/** Config of `startFaultProxy`. */
export interface FaultProxyConfig {
  /** The service behind the proxy: a loopback address only. */
  readonly upstream: {
    /** @default '127.0.0.1' */
    readonly host?: '127.0.0.1' | 'localhost' | '::1' | undefined | undefined;
    readonly port: number;
  };
  /** Toxics applied to every connection, in order (each direction runs its own, in this order). @default [] */
  readonly toxics?: ReadonlyArray<Toxic> | undefined;
  /** Seed of every random draw (toxicity, latency jitter, slicer sizes): same seed, same draws. @default 1 */
  readonly seed?: number | undefined;
}

/** Byte and connection counts of a proxy. */
export interface FaultProxyStats {
  /** Connections open through the proxy now. */
  readonly connections: number;
  /** Connections accepted since start. */
  readonly accepted: number;
  /** Bytes read from clients (before toxics). */
  readonly upstreamBytes: number;
  /** Bytes read from the upstream (before toxics). */
  readonly downstreamBytes: number;
  /**
   * Bytes the proxy holds now, read and not yet handed to the kernel: queued in toxics and in its
   * sockets' write buffers. Bounded: a direction stops reading while its destination is full or its
   * toxics hold more than 1 MiB (toxiproxy's backpressure), so a client that never reads cannot make
   * the proxy buffer what the upstream sends.
   */
  readonly bufferedBytes: number;
}

/** A TCP proxy on 127.0.0.1 that degrades the connections through it, toxiproxy style. */
export interface FaultProxy {
  /** `127.0.0.1` */
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`, for an HTTP upstream. */
  readonly url: string;
  /** False while the proxy is down (`disable()`): connecting is refused. */
  readonly enabled: boolean;
  /** The toxics in force. */
  readonly toxics: ReadonlyArray<Toxic>;
  readonly stats: FaultProxyStats;
  /** Replaces the toxics, for new connections and for open ones (a removed toxic delivers what it held). */
  setToxics(toxics: ReadonlyArray<Toxic>): void;
  /** Adds `toxics` for the duration of `body`, then restores the previous ones (toxiproxy's `apply`). */
  withToxics<R>(toxics: ReadonlyArray<Toxic>, body: () => Promise<R>): Promise<R>;
  /** Down: stops listening (new connections are refused) and closes every open connection. */
  disable(): Promise<void>;
  /** Up again, on the same port. */
  enable(): Promise<void>;
  /** Enables the proxy and removes every toxic (toxiproxy's `/reset`). */
  reset(): Promise<void>;
  /** Stops listening, destroys every socket and clears every timer. */
  close(): Promise<void>;
}

const loopback = oneOf(['127.0.0.1', 'localhost', '::1']);
const port = new t.Type<number, number, unknown>(
  'a port number (1-65535)',
  (u): u is number => positiveInt.is(u) && u <= 65535,
  (u, c) => (positiveInt.is(u) && u <= 65535 ? t.success(u) : t.failure(u, c)),
  t.identity,
);
const configCodec = config(
  'FaultProxyConfig',
  { upstream: config('upstream', { port }, { host: loopback }) },
  { toxics: t.UnknownArray, seed: finiteNumber },
);

function decodeToxics(where: string, toxics: unknown): Toxic[] {
  if (!Array.isArray(toxics)) {
    throw new InvalidConfigError({
      operator: where,
      issues: [
        { path: 'toxics', expected: 'an array', received: toxics, message: '`toxics` must be an array' },
      ],
    });
  }
  return toxics.map((toxic, i) => decodeConfig(`${where}: toxic ${i}`, toxicCodec, toxic) as Toxic);
}

/**
 * Starts a TCP proxy on `127.0.0.1` (ephemeral port) in front of a loopback `upstream`, and degrades the
 * traffic through it with toxiproxy's toxics: `latency` (+ `jitter`), `bandwidth`, `slow_close`, `timeout`
 * (blackhole), `reset_peer`, `slicer` and `limit_data`; `disable()` takes it down (refused, open connections
 * closed). Toxics act on `downstream` (upstream to client) unless `stream: 'upstream'`, apply to a
 * connection with probability `toxicity` (drawn per connection from the seeded PRNG), and can be changed
 * while connections are open. Backpressure is honoured (a direction stops reading while its destination
 * is full or its toxics hold more than 1 MiB), and every delay is waited in full, `Infinity` included.
 *
 * @example
 * const server = await startFaultServer();
 * const proxy = await startFaultProxy({ upstream: { port: server.port }, toxics: [{ type: 'latency', latency: 100, jitter: 20 }] });
 * await fetch(`${proxy.url}/ok`); // ~100 ms later
 * await proxy.withToxics([{ type: 'reset_peer' }], () => fetch(`${proxy.url}/ok`)); // rejects: ECONNRESET
 * await proxy.close();
 * await server.close();
 * @throws {InvalidConfigError} when the config or a toxic is bad.
 */
export async function startFaultProxy(options: FaultProxyConfig): Promise<FaultProxy> {
  const decoded = decodeConfig('startFaultProxy', configCodec, options);
  let toxics = decodeToxics('startFaultProxy', decoded.toxics ?? []);
  const upstream = { host: decoded.upstream.host ?? '127.0.0.1', port: decoded.upstream.port };
  const random = seededRandom(decoded.seed ?? 1);
  const links = new Set<Link>();
  let accepted = 0;
  let upstreamBytes = 0;
  let downstreamBytes = 0;
  let enabled = true;
  let closing = false;
  let listenPort = 0;

  /** One client connection and its upstream connection, each direction through its own toxics. */
  class Link {
    readonly timers = new Set<CancelTimer>();
    readonly closed: Promise<void>;
    private readonly pipes: { upstream: Pipe; downstream: Pipe };
    private done = false;

    constructor(
      readonly client: net.Socket,
      readonly server: net.Socket,
    ) {
      const control: LinkControl = {
        random,
        timer: (ms, fn) => {
          if (this.done) return () => undefined;
          const cancel = realTimer(ms, () => {
            this.timers.delete(cancel);
            fn();
          });
          this.timers.add(cancel);
          return () => {
            cancel();
            this.timers.delete(cancel);
          };
        },
        reset: () => this.reset(),
        close: () => this.close(),
        relieved: () => {
          this.pipes.upstream.relieve();
          this.pipes.downstream.relieve();
        },
      };
      this.pipes = {
        upstream: new Pipe('upstream', client, server, control),
        downstream: new Pipe('downstream', server, client, control),
      };
      this.rebuild();
      const bothClosed = [client, server].map(
        (socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())),
      );
      this.closed = Promise.all(bothClosed).then(() => undefined);
      client.on('data', (chunk: Buffer) => {
        upstreamBytes += chunk.length;
        this.pipes.upstream.push(chunk);
      });
      server.on('data', (chunk: Buffer) => {
        downstreamBytes += chunk.length;
        this.pipes.downstream.push(chunk);
      });
      client.on('end', () => this.pipes.upstream.end());
      server.on('end', () => this.pipes.downstream.end());
      // A refused or failed upstream reaches the client as a reset, as it would through toxiproxy.
      server.on('error', () => this.reset());
      client.on('error', () => this.destroy());
      // The client gone, nothing more can reach it. The upstream gone, its FIN (or reset) travels to the
      // client through the toxics like any data, and the client's own close ends the link.
      client.on('close', () => this.destroy());
    }

    rebuild(): void {
      this.pipes.upstream.rebuild(toxics);
      this.pipes.downstream.rebuild(toxics);
    }

    get buffered(): number {
      return this.pipes.upstream.buffered + this.pipes.downstream.buffered;
    }

    reset(): void {
      if (this.done) return;
      this.stop();
      this.client.resetAndDestroy();
      this.server.resetAndDestroy();
    }

    close(): void {
      if (this.done) return;
      this.stop();
      for (const socket of [this.client, this.server]) {
        if (socket.destroyed) continue;
        socket.end(() => socket.destroy());
      }
    }

    destroy(): void {
      this.stop();
      this.client.destroy();
      this.server.destroy();
    }

    private stop(): void {
      this.done = true;
      this.pipes.upstream.cancel();
      this.pipes.downstream.cancel();
      for (const cancel of this.timers) cancel();
      this.timers.clear();
      links.delete(this);
    }
  }

  const listener = net.createServer({ allowHalfOpen: true }, (client) => {
    if (closing || !enabled) {
      client.destroy();
      return;
    }
    accepted++;
    client.setNoDelay(true);
    const server = net.connect({ host: upstream.host, port: upstream.port, allowHalfOpen: true });
    server.setNoDelay(true);
    const link = new Link(client, server);
    links.add(link);
    link.closed.then(() => links.delete(link));
  });

  const listen = (at: number): Promise<void> =>
    new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(at, '127.0.0.1', () => {
        listener.off('error', reject);
        listenPort = (listener.address() as net.AddressInfo).port;
        resolve();
      });
    });

  const down = async (): Promise<void> => {
    const links_ = [...links];
    const stopped = listener.listening
      ? new Promise<void>((resolve) => listener.close(() => resolve()))
      : Promise.resolve();
    for (const link of links_) link.destroy();
    await Promise.all([stopped, ...links_.map((l) => l.closed)]);
  };

  await listen(0);
  let closed: Promise<void> | undefined;

  const proxy: FaultProxy = {
    host: '127.0.0.1',
    get port() {
      return listenPort;
    },
    get url() {
      return `http://127.0.0.1:${listenPort}`;
    },
    get enabled() {
      return enabled;
    },
    get toxics() {
      return toxics;
    },
    get stats() {
      let bufferedBytes = 0;
      for (const link of links) bufferedBytes += link.buffered;
      return { connections: links.size, accepted, upstreamBytes, downstreamBytes, bufferedBytes };
    },
    setToxics(next) {
      toxics = decodeToxics('FaultProxy.setToxics', next);
      for (const link of links) link.rebuild();
    },
    async withToxics(added, body) {
      const previous = toxics;
      proxy.setToxics([...previous, ...added]);
      try {
        return await body();
      } finally {
        if (!closing) proxy.setToxics(previous);
      }
    },
    async disable() {
      if (!enabled || closing) return;
      enabled = false;
      await down();
    },
    async enable() {
      if (enabled || closing) return;
      await listen(listenPort);
      enabled = true;
    },
    async reset() {
      proxy.setToxics([]);
      await proxy.enable();
    },
    close() {
      if (closed !== undefined) return closed;
      closing = true;
      closed = down();
      return closed;
    },
  };
  return proxy;
}

/** Bytes a direction's toxics may hold before it stops reading its source. */
const HELD_HIGH_WATER = 1024 * 1024;

function sinkOf(socket: net.Socket): Sink {
  return {
    push: (chunk) => {
      if (!socket.destroyed && !socket.writableEnded) socket.write(chunk);
    },
    end: () => {
      if (!socket.destroyed && !socket.writableEnded) socket.end();
    },
  };
}

/**
 * One direction of a link: reads `source`, passes what it reads through its toxics' stages in order, and
 * writes it to `target`. It honours backpressure as toxiproxy does: while `target`'s write buffer is full
 * (a write returned false) or its stages hold more than `HELD_HIGH_WATER`, it pauses `source` (TCP flow
 * control then slows the sender), and resumes on `'drain'` or when a stage lets data go.
 */
class Pipe {
  private stages: Stage[] = [];
  private head: Sink;
  private readonly sink: Sink;
  private paused = false;

  constructor(
    private readonly stream: 'upstream' | 'downstream',
    private readonly source: net.Socket,
    private readonly target: net.Socket,
    private readonly link: LinkControl,
  ) {
    this.sink = sinkOf(target);
    this.head = this.sink;
    target.on('drain', () => this.relieve());
  }

  /** Bytes read from `source` and not yet handed to the kernel. */
  get buffered(): number {
    return this.held() + (this.target.destroyed ? 0 : this.target.writableLength);
  }

  push(chunk: Buffer): void {
    this.head.push(chunk);
    this.press();
  }

  end(): void {
    this.head.end();
  }

  /** Resumes `source` once `target` has room and the stages hold little enough. */
  relieve(): void {
    if (!this.paused || this.pressed()) return;
    this.paused = false;
    this.source.resume();
  }

  /** Swaps in the toxics of this direction; the old stages deliver what they held first. */
  rebuild(toxics: ReadonlyArray<Toxic>): void {
    for (const stage of this.stages) stage.flush();
    let next: Sink = this.sink;
    const stages: Stage[] = [];
    const mine = toxics.filter((toxic) => (toxic.stream ?? 'downstream') === this.stream);
    // Built back to front, so each stage feeds the one after it; toxicity is drawn front to back.
    const applies = mine.map((toxic) => this.link.random() < (toxic.toxicity ?? 1));
    for (let i = mine.length - 1; i >= 0; i--) {
      if (!applies[i]) continue;
      const stage = createStage(mine[i]!, next, this.link);
      stages.unshift(stage);
      next = stage;
    }
    this.stages = stages;
    this.head = next;
    this.press();
    this.relieve();
  }

  cancel(): void {
    for (const stage of this.stages) stage.cancel();
    this.stages = [];
    this.head = { push: () => undefined, end: () => undefined };
  }

  private held(): number {
    let held = 0;
    for (const stage of this.stages) held += stage.held();
    return held;
  }

  private pressed(): boolean {
    return this.target.writableNeedDrain || this.held() > HELD_HIGH_WATER;
  }

  /** Pauses `source` while `target` or the stages are full. */
  private press(): void {
    if (this.paused || !this.pressed()) return;
    this.paused = true;
    this.source.pause();
  }
}
