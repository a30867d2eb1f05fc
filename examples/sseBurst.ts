/**
 * A fast event source into a slow handler, through `boundedMergeMapNotices`: a local SSE server on
 * 127.0.0.1 (a free port) sends bursts of events; the client reads the stream (Node 20 has no
 * EventSource: `http.get` and a small `data:` parser, as an Observable that closes the request on
 * unsubscribe) and hands each event to a handler that takes longer than the events take to arrive.
 *
 * Instead of growing a queue without bound (what `mergeMap(handle, 2)` would do), at most `capacity`
 * events wait; when a burst overflows, the oldest waiting event is dropped to keep the freshest, and the
 * caller is told what became of every event: handled (after waiting at some place in the queue) or
 * dropped. Ends by itself in about a second and a half; the server is closed at the end.
 *
 * In your project, import from 'rxjs-resilience'.
 *
 * Run it: npx ts-node --transpile-only examples/sseBurst.ts
 */
import { createServer, get, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Observable, lastValueFrom, map, tap, timer, toArray } from 'rxjs';
import { boundedMergeMapNotices, type BoundedMergeMapNotice } from '../src/index';

/** One server-sent event. */
export interface SseEvent {
  /** The last `id:` field seen, as the SSE spec keeps it. */
  readonly id: string | undefined;
  /** The `event:` field, `'message'` by default. */
  readonly event: string;
  /** The `data:` lines, joined with newlines. */
  readonly data: string;
}

/**
 * The events of the `text/event-stream` at `url`, read with `http.get`: completes when the server ends
 * the stream, errors on a non-200 answer or a network error, and destroys the request on unsubscribe.
 */
export function sseEvents(url: string): Observable<SseEvent> {
  return new Observable<SseEvent>((subscriber) => {
    let pending = '';
    let data: string[] = [];
    let id: string | undefined;
    let event = 'message';
    const onLine = (line: string): void => {
      if (line === '') {
        if (data.length > 0) subscriber.next({ id, event, data: data.join('\n') });
        data = [];
        event = 'message';
        return;
      }
      if (line.startsWith(':')) return; // a comment
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
      else if (field === 'event') event = value;
    };
    const request = get(url, { headers: { accept: 'text/event-stream' } }, (response: IncomingMessage) => {
      if (response.statusCode !== 200) {
        response.resume();
        subscriber.error(new Error(`SSE ${url}: HTTP ${response.statusCode}`));
        return;
      }
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        pending += chunk;
        for (let nl = pending.indexOf('\n'); nl >= 0 && !subscriber.closed; nl = pending.indexOf('\n')) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
        }
      });
      response.on('end', () => subscriber.complete());
      response.on('error', (error) => subscriber.error(error));
    });
    request.on('error', (error) => subscriber.error(error));
    return () => request.destroy();
  });
}

/** What the burst server did. */
export interface SseServerStats {
  /** Events written. */
  sent: number;
  /** True when a client went away before the server ended its stream. */
  clientLeftEarly: boolean;
}

export interface SseServer {
  /** `http://127.0.0.1:<port>`; the stream is at `/events`. */
  readonly url: string;
  readonly stats: SseServerStats;
  /** Stops listening, drops every connection and pending burst; resolves once closed. */
  close(): Promise<void>;
  /** True while the server listens. */
  readonly listening: boolean;
}

/** Starts an SSE server that sends `bursts` bursts of `perBurst` events, `gapMs` apart, then ends. */
export function startSseServer(options: {
  readonly bursts: number;
  readonly perBurst: number;
  readonly gapMs: number;
}): Promise<SseServer> {
  const stats: SseServerStats = { sent: 0, clientLeftEarly: false };
  const timers = new Set<NodeJS.Timeout>();
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    if (request.url !== '/events') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    response.write(': burst server\n\n');
    let burst = 0;
    const sendBurst = (): void => {
      // One write per burst: on loopback the client reads it as one chunk, so the burst arrives at once.
      let text = '';
      for (let i = 0; i < options.perBurst; i++) {
        const n = stats.sent++;
        text += `id: ${n}\ndata: ${JSON.stringify({ n, burst })}\n\n`;
      }
      response.write(text);
      burst++;
      if (burst === options.bursts) {
        response.end();
        return;
      }
      const next = setTimeout(() => {
        timers.delete(next);
        sendBurst();
      }, options.gapMs);
      timers.add(next);
    };
    sendBurst();
    response.on('close', () => {
      if (!response.writableEnded) stats.clientLeftEarly = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    });
  };
  const server = createServer(handle);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        stats,
        get listening() {
          return server.listening;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const t of timers) clearTimeout(t);
            timers.clear();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

export interface SseBurstOptions {
  /** Bursts the server sends. @default 4 */
  readonly bursts?: number;
  /** Events per burst. @default 25 */
  readonly perBurst?: number;
  /** Milliseconds between bursts. @default 300 */
  readonly gapMs?: number;
  /** Milliseconds the handler takes per event. @default 40 */
  readonly handlerMs?: number;
  /** Events that may wait for the handler. @default 5 */
  readonly capacity?: number;
  /** Events handled at once. @default 2 */
  readonly concurrency?: number;
  /** Where lines go. @default console.log */
  readonly print?: (line: string) => void;
}

export interface SseBurstResult {
  readonly url: string;
  /** Events the server sent and the client received. */
  readonly sent: number;
  readonly received: number;
  /** Every notice, in order. */
  readonly notices: ReadonlyArray<BoundedMergeMapNotice<SseEvent, string>>;
  /** Events handled, and dropped (as `onOverflow` saw them). */
  readonly handled: number;
  readonly dropped: ReadonlyArray<number>;
  /** The longest queue seen (an `accepted` notice's position). */
  readonly longestQueue: number;
  /** True once the server is closed. */
  readonly serverClosed: boolean;
}

/** Runs the example; resolves once the stream has completed, every event is accounted for and the server closed. */
export async function main(options: SseBurstOptions = {}): Promise<SseBurstResult> {
  const {
    bursts = 4,
    perBurst = 25,
    gapMs = 300,
    handlerMs = 40,
    capacity = 5,
    concurrency = 2,
    print = console.log,
  } = options;
  const server = await startSseServer({ bursts, perBurst, gapMs });
  print(`SSE server on ${server.url}: ${bursts} bursts of ${perBurst} events, ${gapMs}ms apart`);
  print(
    `handler: ${handlerMs}ms per event, ${concurrency} at once, at most ${capacity} waiting (drop oldest)`,
  );
  const dropped: number[] = [];
  const seq = (event: SseEvent): number => (JSON.parse(event.data) as { n: number }).n;
  let received = 0;
  // Drops come in runs (a burst overflows): one line per run.
  const droppedRun: number[] = [];
  const flushDrops = (): void => {
    if (droppedRun.length === 0) return;
    const first = droppedRun[0]!;
    const last = droppedRun[droppedRun.length - 1]!;
    const which =
      droppedRun.length === 1 ? `#${first}` : `#${first} to #${last} (${droppedRun.length} events)`;
    print(`${which} dropped: newer events took their place in the queue`);
    droppedRun.length = 0;
  };
  let notices: Array<BoundedMergeMapNotice<SseEvent, string>>;
  try {
    const waitedAt = new Map<number, number>();
    notices = await lastValueFrom(
      sseEvents(`${server.url}/events`).pipe(
        tap(() => received++),
        boundedMergeMapNotices(
          // The slow handler: stores the event, taking handlerMs.
          (event: SseEvent) => timer(handlerMs).pipe(map(() => `stored #${seq(event)}`)),
          { capacity, concurrency, overflow: 'dropOldest', onOverflow: (event) => dropped.push(seq(event)) },
        ),
        tap((notice) => {
          const n = seq(notice.value);
          if (notice.kind === 'dropped') {
            droppedRun.push(n);
            return;
          }
          if (notice.kind === 'accepted') waitedAt.set(n, notice.position);
          else if (notice.kind === 'finished') {
            flushDrops();
            const place = waitedAt.get(n) ?? 0;
            waitedAt.delete(n);
            print(
              `#${n} ${notice.result}, ${place === 0 ? 'started at once' : `queued at place ${place} when it arrived`}`,
            );
          } else if (notice.kind === 'failed') {
            flushDrops();
            print(`#${n} failed: ${String(notice.error)}`);
          }
        }),
        toArray(),
      ),
    );
    flushDrops();
  } finally {
    await server.close();
  }
  const handled = notices.filter((n) => n.kind === 'finished').length;
  const longestQueue = Math.max(0, ...notices.map((n) => (n.kind === 'accepted' ? n.position : 0)));
  print(
    `received ${received} of ${server.stats.sent} events: ${handled} handled, ${dropped.length} dropped; ` +
      `at most ${longestQueue} waited (capacity ${capacity}); server closed`,
  );
  return {
    url: server.url,
    sent: server.stats.sent,
    received,
    notices,
    handled,
    dropped,
    longestQueue,
    serverClosed: !server.listening,
  };
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
