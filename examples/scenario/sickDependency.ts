/**
 * The dependency that goes bad: an HTTP server on 127.0.0.1 (a free port) that answers every request
 * as the current phase says (see phases.ts). Healthy, it answers in 20 ± 10 ms; slow, in 400 to 1000 ms;
 * down, it hangs: it reads the request and never answers, as a stuck process or a black-holed host does
 * (a refused connection would fail fast on its own; a hang is what takes clients down, because only a
 * timeout ends it). Requests it hung stay hung after it recovers: they were lost.
 *
 * The delays are drawn from a seeded generator, so two runs ask the same of their clients.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../../src/index';
import type { PhaseName } from './phases';

export interface SickDependencyOptions {
  /** The phase now. */
  readonly phase: () => PhaseName;
  /** Told of each request as it arrives, with the `client` named in its query string. */
  readonly onRequest: (client: string, phase: PhaseName) => void;
  /** @default 17 */
  readonly seed?: number | undefined;
}

export interface SickDependency {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Requests it is holding without an answer (hung, or waiting out a delay). */
  readonly pending: number;
  /** Stops listening and drops every connection, hung ones included; resolves once closed. */
  close(): Promise<void>;
}

/** The ms an answer takes in `phase`, from a uniform draw `u` in [0, 1); `Infinity`: never. */
function answerDelay(phase: PhaseName, u: number): number {
  if (phase === 'slow') return 400 + 600 * u;
  if (phase === 'down') return Infinity;
  return 10 + 20 * u;
}

/** Starts the server; resolves once it listens. */
export function startSickDependency(options: SickDependencyOptions): Promise<SickDependency> {
  const { phase, onRequest, seed = 17 } = options;
  const random = seededRandom(seed);
  const held = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    const client = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('client') ?? 'unknown';
    const now = phase();
    onRequest(client, now);
    req.resume();
    const delay = answerDelay(now, random());
    held.add(res);
    res.once('close', () => held.delete(res));
    if (delay === Infinity) return;
    const timer = setTimeout(() => res.end('ok'), delay);
    res.once('close', () => clearTimeout(timer));
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        get pending() {
          return held.size;
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
            for (const res of held) res.destroy();
          }),
      });
    });
  });
}
