/**
 * A tiny flaky HTTP server for the demo, on 127.0.0.1 and a free port: each path answers its n-th
 * request as scripted (the last entry repeats), so the demo's output is the same on every run.
 * The full fault server (refused connections, slow drips, SSE and WebSocket faults) lives in
 * src/testing.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How one request is answered: `'ok'` (200 `ok`), a status code (that status, empty body), `'reset'`
 * (the connection is reset before any answer: `ECONNRESET` on the client), or `{ slow: ms }` (200 `ok`
 * after `ms`, unless the client gives up first).
 */
export type Answer = 'ok' | number | 'reset' | { readonly slow: number };

/** What the server saw, for the demo's summary and its spec. */
export interface FlakyServerStats {
  /** Requests received. */
  requests: number;
  /** Requests whose client closed the connection before the answer was sent (a timed-out call). */
  aborted: number;
  /** Every request as `path #n: answer`, in arrival order. */
  readonly log: string[];
}

export interface FlakyServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly stats: FlakyServerStats;
  /** Stops listening, drops every connection and pending slow answer; resolves once closed. */
  close(): Promise<void>;
}

/** Starts the server with `script[path]` the answers of `path` in order; other paths get 404. */
export function startFlakyServer(
  script: Readonly<Record<string, ReadonlyArray<Answer>>>,
): Promise<FlakyServer> {
  const served = new Map<string, number>();
  const pending = new Set<NodeJS.Timeout>();
  const stats: FlakyServerStats = { requests: 0, aborted: 0, log: [] };

  const answerOf = (path: string): Answer => {
    const answers = script[path];
    const n = served.get(path) ?? 0;
    served.set(path, n + 1);
    if (answers === undefined || answers.length === 0) return 404;
    return answers[Math.min(n, answers.length - 1)]!;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? '/';
    const n = (served.get(path) ?? 0) + 1;
    const answer = answerOf(path);
    stats.requests++;
    stats.log.push(`${path} #${n}: ${typeof answer === 'object' ? `slow ${answer.slow}ms` : answer}`);
    res.on('close', () => {
      if (!res.writableFinished) stats.aborted++;
    });
    if (answer === 'reset') {
      req.socket.resetAndDestroy();
    } else if (answer === 'ok') {
      res.end('ok');
    } else if (typeof answer === 'number') {
      res.writeHead(answer).end();
    } else {
      const timer = setTimeout(() => {
        pending.delete(timer);
        res.end('ok');
      }, answer.slow);
      pending.add(timer);
      res.on('close', () => {
        clearTimeout(timer);
        pending.delete(timer);
      });
    }
  };

  const server = createServer(handle);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        stats,
        close: () =>
          new Promise<void>((done) => {
            for (const timer of pending) clearTimeout(timer);
            pending.clear();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
