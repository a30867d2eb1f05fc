import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lastValueFrom, take, toArray } from 'rxjs';
import { main, sseEvents, startSseServer, type SseBurstResult } from '../../examples/sseBurst';

/** Serves `body` once at any path with `status`, on 127.0.0.1. */
function serveRaw(status: number, body: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_, response) => {
    response.writeHead(status, { 'content-type': 'text/event-stream' });
    response.end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`, server }),
    ),
  );
}

describe('examples/sseBurst', function () {
  // Real sockets on 127.0.0.1 and real timers: the run takes about 0.4 s (bursts 150 ms apart, a handler of 5 ms: wide margins).
  this.timeout(20_000);

  let result: SseBurstResult;
  const lines: string[] = [];

  before(async () => {
    result = await main({
      bursts: 3,
      perBurst: 12,
      gapMs: 150,
      handlerMs: 5,
      capacity: 3,
      concurrency: 2,
      print: (line) => lines.push(line),
    });
  });

  it('should receive every event the server sent, then close the server', () => {
    expect(result.sent).to.equal(36);
    expect(result.received).to.equal(36);
    expect(result.serverClosed).to.equal(true);
    expect(lines[0]).to.match(
      /^SSE server on http:\/\/127\.0\.0\.1:\d+: 3 bursts of 12 events, 150ms apart$/,
    );
    expect(lines[lines.length - 1]).to.equal(
      `received 36 of 36 events: ${result.handled} handled, ${result.dropped.length} dropped; ` +
        'at most 3 waited (capacity 3); server closed',
    );
  });

  it('should account for every event exactly once: handled or dropped', () => {
    expect(result.handled + result.dropped.length).to.equal(result.received);
    const terminal = result.notices.filter((n) => n.kind === 'finished' || n.kind === 'dropped');
    expect(terminal.map((n) => n.index).sort((a, b) => a - b)).to.deep.equal([...Array(36).keys()]);
    const droppedNotices = result.notices.filter((n) => n.kind === 'dropped');
    expect(droppedNotices.map((n) => n.index)).to.deep.equal(result.dropped);
  });

  it('should drop under bursts, never let more than capacity wait, and keep the freshest events', () => {
    // Only what holds whatever the timing (a loaded machine may stall the loop between bursts):
    // each burst arrives in one chunk, so at most 2 start and 3 wait: at least 7 of its 12 are dropped.
    expect(result.dropped.length).to.be.at.least(21);
    expect(result.longestQueue).to.equal(3);
    const handled = result.notices.filter((n) => n.kind === 'finished').map((n) => n.index);
    expect(handled.slice(0, 2), 'the first two start at once').to.deep.equal([0, 1]);
    expect(handled.slice(-3), 'dropOldest never drops the newest three').to.deep.equal([33, 34, 35]);
    const started = result.notices.filter((n) => n.kind === 'started').map((n) => n.index);
    expect(started, 'started in source order').to.deep.equal([...started].sort((x, y) => x - y));
    for (const line of lines.filter((l) => l.startsWith('#') && l.includes(' dropped'))) {
      expect(line).to.match(
        /^#\d+( to #\d+ \(\d+ events\))? dropped: newer events took their place in the queue$/,
      );
    }
  });

  describe('sseEvents', () => {
    it('should parse ids, event names, multi-line data, comments and CRLF line ends', async () => {
      const { url, server } = await serveRaw(
        200,
        ': hello\r\nid: 7\r\nevent: tick\r\ndata: a\r\ndata: b\r\n\r\ndata:c\n\nid\ndata\n\n',
      );
      try {
        const events = await lastValueFrom(sseEvents(url).pipe(toArray()));
        expect(events).to.deep.equal([
          { id: '7', event: 'tick', data: 'a\nb' },
          { id: '7', event: 'message', data: 'c' },
          { id: '', event: 'message', data: '' },
        ]);
      } finally {
        server.close();
      }
    });

    it('should error on a non-200 answer', async () => {
      const { url, server } = await serveRaw(503, '');
      try {
        const error = await lastValueFrom(sseEvents(url)).catch((e: unknown) => e);
        expect((error as Error).message).to.equal(`SSE ${url}: HTTP 503`);
      } finally {
        server.close();
      }
    });

    it('should close the request on unsubscribe', async () => {
      const server = await startSseServer({ bursts: 100, perBurst: 2, gapMs: 20 });
      try {
        const first = await lastValueFrom(sseEvents(`${server.url}/events`).pipe(take(3), toArray()));
        expect(first.map((e) => e.id)).to.deep.equal(['0', '1', '2']);
        for (let i = 0; i < 300 && !server.stats.clientLeftEarly; i++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(server.stats.clientLeftEarly).to.equal(true);
        expect(server.stats.sent).to.be.below(200);
      } finally {
        await server.close();
      }
    });
  });
});
