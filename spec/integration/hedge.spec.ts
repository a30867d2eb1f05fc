import { expect } from 'chai';
import { performance } from 'perf_hooks';
import { concatWith, defer, lastValueFrom, map, NEVER, type Observable } from 'rxjs';
import { fetchRequest } from '../../src/adapters/fetchRequest';
import { hedge } from '../../src/operators/hedge';
import { startFaultServer, type FaultServer } from '../../src/testing/index';

// Real sockets on 127.0.0.1, real fetch, real timers; wide margins for a loaded 2-core machine.

/** A call whose n-th attempt (0-based) fetches `urls[n]`: a hedge resubscribes the same Observable. */
function attempts(urls: ReadonlyArray<string>): Observable<string> {
  let n = 0;
  return defer(() => fetchRequest(urls[n++]!)).pipe(map((res) => res.body));
}

describe('integration: hedge with fetchRequest against the fault server', function () {
  this.timeout(10_000);
  let server: FaultServer;

  before(async () => {
    server = await startFaultServer({ seed: 13 });
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  it('should answer from the hedge when the first request hangs, and abort the losing request', async () => {
    const started = performance.now();
    const body = await lastValueFrom(
      attempts([server.urlOf('/hang'), server.urlOf('/ok')]).pipe(hedge({ delay: 50 })),
    );
    const took = performance.now() - started;
    expect(body).to.equal('ok');
    expect(took).to.be.at.least(45).and.below(2000);
    await server.whenSettled();
    expect(server.requests.map((r) => [r.route, r.outcome])).to.deep.equal([
      ['/hang', 'aborted'],
      ['/ok', 'finished'],
    ]);
  });

  it('should abort the loser at the instant of the win, while the winner goes on', async () => {
    // The winner answers and then stays open: the loser is aborted by the win itself, not by the end of
    // the call.
    let n = 0;
    const urls = [server.urlOf('/hang'), server.urlOf('/ok')];
    const call = defer(() => fetchRequest(urls[n++]!)).pipe(
      map((res) => res.body),
      concatWith(NEVER),
      hedge({ delay: 50 }),
    );
    const winnerStaysOpen = call.subscribe();
    try {
      // Wait until the hedge has answered: the '/ok' request finished.
      const deadline = performance.now() + 3000;
      while (server.stats('/ok').finished === 0 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(server.stats('/ok').finished).to.equal(1);
      await server.whenSettled({ route: '/hang', timeout: 1000 });
      expect(server.stats('/hang')).to.include({ requests: 1, aborted: 1 });
      expect(winnerStaysOpen.closed, 'the call is still running').to.equal(false);
    } finally {
      winnerStaysOpen.unsubscribe();
    }
  });

  it('should abort the slower of two requests as soon as the faster one answers', async () => {
    const body = await lastValueFrom(
      attempts([server.urlOf('/latency', { ms: 1500 }), server.urlOf('/latency', { ms: 10 })]).pipe(
        hedge({ delay: 30 }),
      ),
    );
    expect(body).to.equal('ok');
    await server.whenSettled();
    const [slow, fast] = server.requests;
    expect([slow!.outcome, fast!.outcome]).to.deep.equal(['aborted', 'finished']);
    // The loser was aborted when the winner answered, long before its 1.5 s.
    expect(slow!.endedAt! - slow!.startedAt).to.be.below(1000);
  });

  it('should send one request when the first answers before delay', async () => {
    const body = await lastValueFrom(
      attempts([server.urlOf('/ok'), server.urlOf('/ok')]).pipe(hedge({ delay: 1000 })),
    );
    expect(body).to.equal('ok');
    await server.whenSettled();
    expect(server.stats().requests).to.equal(1);
  });

  it('should start the next request at once when the first fails with a 503', async () => {
    const started = performance.now();
    const body = await lastValueFrom(
      attempts([server.urlOf('/status', { code: 503 }), server.urlOf('/ok')]).pipe(hedge({ delay: 5000 })),
    );
    expect(body).to.equal('ok');
    expect(performance.now() - started, 'well before the 5 s delay').to.be.below(2500);
    expect(server.requests.map((r) => r.route)).to.deep.equal(['/status', '/ok']);
  });
});
