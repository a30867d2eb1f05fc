import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ACT_TITLES, main, type DemoResult } from '../../examples/demo';

/** True when nothing listens at `url` any more. */
async function isClosed(url: string): Promise<boolean> {
  const error = await fetch(url).then(
    () => undefined,
    (e: unknown) => e,
  );
  return (error as { cause?: { code?: string } } | undefined)?.cause?.code === 'ECONNREFUSED';
}

describe('examples/demo', function () {
  // Real sockets on 127.0.0.1 and real timers: the demo takes about 3 s, twice (in process and as `npm run demo:acts`).
  this.timeout(40_000);

  let result: DemoResult;
  const lines: string[] = [];

  before(async () => {
    result = await main({ print: (line) => lines.push(line) });
  });

  /** The lines act `n` (1 to 4) printed, between its title and the next title (or the closing line). */
  const act = (n: 1 | 2 | 3 | 4): string[] => {
    const titles: ReadonlyArray<string> = ACT_TITLES;
    const from = lines.indexOf(titles[n - 1]!);
    const next = titles[n];
    const to = next === undefined ? lines.length - 1 : lines.indexOf(next);
    expect(from, `title of act ${n}`).to.be.at.least(0);
    return lines.slice(from + 1, to);
  };

  it('should print the four act titles in order, then a closing line', () => {
    const at = ACT_TITLES.map((title) => lines.indexOf(title));
    expect(at[0]).to.equal(0);
    expect(at).to.deep.equal([...at].sort((a, b) => a - b));
    expect(lines[lines.length - 1]).to.match(/^demo done in \d+\.\ds; every server closed$/);
  });

  describe('act 1: timeoutAfter + retryBackoff', () => {
    it('should print one line per call, in order, between the server lines', () => {
      const act1 = act(1);
      expect(act1).to.have.length(9);
      expect(act1[0]).to.match(/^flaky server on http:\/\/127\.0\.0\.1:\d+$/);
      const patterns = [
        /^call 1 \(healthy\): ok in \d+ms$/,
        /^call 2 \(one 503\): ok after 1 retry in \d+ms; failed attempts: HttpStatusError 503$/,
        /^call 3 \(reset, then 503\): ok after 2 retries in \d+ms; failed attempts: NetworkError ECONNRESET, HttpStatusError 503$/,
        /^call 4 \(one slow answer\): ok after 1 retry in \d+ms; failed attempts: TimeoutExceededError \(total 200ms\)$/,
        /^call 5 \(always 503\): HttpStatusError 503 after 3 retries in \d+ms$/,
        /^call 6 \(404\): HttpStatusError 404, not retried, in \d+ms$/,
        /^call 7 \(always slow, 500ms deadline\): TimeoutExceededError \(total 500ms\) at the call deadline, in \d+ms$/,
      ];
      patterns.forEach((pattern, i) => expect(act1[i + 1]).to.match(pattern));
      expect(act1[8]).to.match(
        /^server: \d+ requests, \d+ of them aborted by the client when they timed out$/,
      );
      expect(result.retries.calls.map((c) => c.line)).to.deep.equal(act1.slice(1, 8));
    });

    it('should retry transient failures only, within maxRetries', () => {
      const summary = result.retries.calls.map(({ outcome, attempts, failures }) => ({
        outcome,
        attempts,
        failures,
      }));
      expect(summary.slice(0, 6)).to.deep.equal([
        { outcome: 'ok', attempts: 1, failures: [] },
        { outcome: 'ok', attempts: 2, failures: ['HttpStatusError 503'] },
        { outcome: 'ok', attempts: 3, failures: ['NetworkError ECONNRESET', 'HttpStatusError 503'] },
        { outcome: 'ok', attempts: 2, failures: ['TimeoutExceededError (total 200ms)'] },
        { outcome: 'HttpStatusError', attempts: 4, failures: Array(4).fill('HttpStatusError 503') },
        { outcome: 'HttpStatusError', attempts: 1, failures: ['HttpStatusError 404'] },
      ]);
      const deadline = result.retries.calls[6]!;
      expect(deadline.outcome).to.equal('TimeoutExceededError');
      expect(deadline.failures.length).to.be.at.least(1);
      expect(deadline.failures.every((f) => f === 'TimeoutExceededError (total 200ms)')).to.equal(true);
    });

    it('should give up on a slow answer at the timeout rather than wait for it', () => {
      // The slow answers take 1000 ms; the attempt timeout is 200 ms and the call deadline 500 ms.
      const [slowOnce, alwaysSlow] = [result.retries.calls[3]!, result.retries.calls[6]!];
      expect(slowOnce.ms).to.be.at.least(200).and.below(1000);
      expect(alwaysSlow.ms).to.be.at.least(500).and.below(1000);
    });

    it('should abort every request whose attempt timed out, and send no request it does not count', () => {
      const { calls, server } = result.retries;
      const sent = calls.reduce((n, c) => n + c.attempts, 0);
      const timedOut = calls.reduce(
        (n, c) => n + c.failures.filter((f) => f.startsWith('TimeoutExceededError')).length,
        0,
      );
      expect(server.requests).to.equal(sent);
      // The call deadline may also cut an attempt in flight.
      expect(server.aborted).to.be.within(timedOut, timedOut + 1);
    });
  });

  describe('act 2: a shared CircuitBreaker', () => {
    it('should open after the outage, then close after openDuration through a successful probe', () => {
      const { states, calls } = result.breaker;
      expect(states.slice(0, 2)).to.deep.equal(['closed', 'open']);
      expect(states).to.include('halfOpen');
      expect(states[states.length - 1]).to.equal('closed');
      // The outage is the server's first 3 requests: 3 calls failed while the breaker was closed.
      const failedWhileClosed = calls.filter((c) => c.stateBefore === 'closed' && c.outcome !== 'ok');
      expect(failedWhileClosed.map((c) => c.outcome)).to.deep.equal(Array(3).fill('HttpStatusError'));
      const probe = calls.find((c) => c.stateBefore === 'halfOpen');
      expect(probe?.outcome).to.equal('ok');
      expect(calls[calls.length - 1]!.outcome).to.equal('ok');
    });

    it('should refuse calls at once while open, without them reaching the server', () => {
      const { calls, refusals, server } = result.breaker;
      const refused = calls.filter((c) => c.outcome === 'CircuitOpenError');
      expect(refused.length).to.be.at.least(1);
      expect(refusals).to.equal(refused.length);
      for (const c of refused) {
        expect(c.stateBefore, `call ${c.call}`).to.equal('open');
        expect(c.requestsAfter, `call ${c.call}`).to.equal(c.requestsBefore);
      }
      expect(server.requests).to.equal(calls.length - refused.length);
    });

    it('should print every state$ transition and a line per call', () => {
      const act2 = act(2);
      expect(act2.filter((l) => / state\$: /.test(l))).to.have.length(result.breaker.states.length - 1);
      expect(act2.find((l) => l.includes('state$: closed -> open'))).to.match(/\(3 of 3 calls failed\)$/);
      expect(act2.filter((l) => /^t=\d+ms call \d+: /.test(l))).to.have.length(result.breaker.calls.length);
      expect(
        act2.filter((l) => /CircuitOpenError \(open, retry after \d+ms\) in \d+ms, not sent/.test(l)),
      ).to.have.length(result.breaker.refusals);
      expect(act2[act2.length - 1]).to.match(
        /^breaker prices: opened after 3 failures, refused \d+ calls at once \(none of them reached the server\), closed by a probe; the server saw \d+ requests for \d+ calls$/,
      );
    });
  });

  describe('act 3: a Bulkhead per dependency', () => {
    it('should fill the slow pool: 2 run, 2 wait until queueTimeout, 4 are refused at once', () => {
      const { pools, requests, calls } = result.pools;
      expect(pools.reports).to.include({
        calls: 8,
        admitted: 2,
        enqueued: 2,
        rejectedFull: 4,
        rejectedQueueTimeout: 2,
        active: 0,
        queued: 0,
      });
      const outcomes = calls.filter((c) => c.pool === 'reports').map((c) => c.outcome);
      expect([...outcomes].sort()).to.deep.equal([
        'full',
        'full',
        'full',
        'full',
        'ok',
        'ok',
        'queueTimeout',
        'queueTimeout',
      ]);
      // Refused calls never reached the slow server.
      expect(requests.reports).to.equal(2);
    });

    it('should keep the healthy dependency answering through its own pool, without waiting for the slow one', () => {
      const { pools, requests, calls, slowMs } = result.pools;
      const users = calls.filter((c) => c.pool === 'users');
      expect(users.map((c) => c.outcome)).to.deep.equal(Array(6).fill('ok'));
      expect(pools.users).to.include({ rejectedFull: 0, rejectedQueueTimeout: 0, active: 0, queued: 0 });
      expect(requests.users).to.equal(6);
      // Each user call took less than one slow answer: it never waited behind the reports.
      for (const c of users) expect(c.ms, `users call ${c.call}`).to.be.below(slowMs);
    });

    it('should print a line per call and the summary', () => {
      const act3 = act(3);
      expect(act3.filter((l) => /^t=\d+ms (reports|users) call \d+: /.test(l))).to.have.length(14);
      expect(act3.filter((l) => l.includes('BulkheadRejectedError (full)'))).to.have.length(4);
      expect(act3.filter((l) => l.includes('BulkheadRejectedError (queueTimeout)'))).to.have.length(2);
      expect(act3[act3.length - 1]).to.match(
        /^reports pool: 2 ok, 4 refused full, 2 refused after queueTimeout \(the server saw 2 requests\); users pool: 6 of 6 ok, the slowest in \d+ms$/,
      );
    });
  });

  describe('act 4: boundedMergeMapNotices', () => {
    it('should drop some ticks of the burst and report every one of them', () => {
      const { offered, finished, dropped, notices } = result.burst;
      expect(offered).to.equal(14);
      expect(dropped.length).to.be.at.least(1);
      // Every tick is accounted for: stored or dropped, never both, never neither.
      expect(finished + dropped.length).to.equal(offered);
      const started = new Set(notices.flatMap((n) => (n.kind === 'started' ? [n.value] : [])));
      for (const tick of dropped) expect(started.has(tick), `tick ${tick}`).to.equal(false);
      expect(notices.filter((n) => n.kind === 'failed')).to.deep.equal([]);
    });

    it('should keep the queue within capacity, and send nothing it dropped', () => {
      const { longestQueue, capacity, requests, finished } = result.burst;
      expect(longestQueue).to.be.within(1, capacity);
      expect(requests).to.equal(finished);
    });

    it('should print one line per tick, in tick order, then the counts', () => {
      const act4 = act(4);
      const { offered, accepted, finished, dropped } = result.burst;
      const ticks: number[] = [];
      const droppedSeen: number[] = [];
      const pushers: number[] = [];
      const span = (from: number, to: number): number[] =>
        Array.from({ length: to - from + 1 }, (_, i) => from + i);
      for (const line of act4.slice(1, -1)) {
        const burst = /^burst of (\d+) ticks \(#(\d+) to #(\d+)\), all at once$/.exec(line);
        const stored = /^ {2}tick #(\d+) stored \((started at once|waited \d+ms for a free slot)\)$/.exec(
          line,
        );
        const one =
          /^ {2}tick #(\d+) dropped: the queue was full, so a newer tick \(#(\d+)\) pushed it out$/.exec(
            line,
          );
        const run =
          /^ {2}ticks #(\d+) to #(\d+) dropped: the queue was full, so each newer tick \(#(\d+) to #(\d+)\) pushed out the oldest waiting one$/.exec(
            line,
          );
        if (burst) expect(Number(burst[2]), line).to.equal(ticks.length);
        else if (stored) ticks.push(Number(stored[1]));
        else if (one) {
          ticks.push(Number(one[1]));
          droppedSeen.push(Number(one[1]));
          pushers.push(Number(one[2]));
        } else if (run) {
          const [from, to, byFrom, byTo] = run.slice(1).map(Number) as [number, number, number, number];
          ticks.push(...span(from, to));
          droppedSeen.push(...span(from, to));
          pushers.push(...span(byFrom, byTo));
        } else expect.fail(`unexpected line in act 4: ${line}`);
      }
      // Every tick once, in the order they came, whatever order their stores ended in.
      expect(ticks).to.deep.equal(span(0, offered - 1));
      expect(droppedSeen).to.deep.equal(dropped);
      // dropOldest: the tick that pushed a waiting one out came later, and each newer tick pushed one.
      pushers.forEach((by, i) => expect(by, `pusher of #${droppedSeen[i]}`).to.be.above(droppedSeen[i]!));
      expect(new Set(pushers).size).to.equal(pushers.length);
      expect(act4.filter((l) => / stored \(/.test(l))).to.have.length(finished);
      expect(act4[act4.length - 1]).to.equal(
        `${offered} ticks offered: ${accepted} accepted, ${finished} finished, ${dropped.length} dropped; ` +
          `at most ${result.burst.longestQueue} waited (capacity 3); the server saw ${finished} requests`,
      );
    });
  });

  it('should close every server when done', async () => {
    const urls = [
      result.retries.server.url,
      result.breaker.server.url,
      result.pools.urls.reports,
      result.pools.urls.users,
      result.burst.url,
    ];
    for (const url of urls) expect(await isClosed(url), url).to.equal(true);
  });

  it('should run as `npm run demo:acts` does, and exit by itself with code 0', async () => {
    const root = join(__dirname, '..', '..');
    const tsNode = join(root, 'node_modules', 'ts-node', 'dist', 'bin.js');
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [tsNode, '--transpile-only', 'examples/demo.ts'],
        { cwd: root, timeout: 25_000 },
        (_error, out) => resolve({ code: child.exitCode, stdout: out }),
      );
    });
    // Exit code 0 without process.exit: every server, socket and timer was closed.
    expect(code).to.equal(0);
    const out = stdout.trim().split('\n');
    for (const title of ACT_TITLES) expect(out).to.include(title);
    expect(out[out.length - 1]).to.match(/^demo done in \d+\.\ds; every server closed$/);
    // Act 1: the same calls with the same outcomes as in process; only the durations differ between runs.
    const untimed = (text: string): string => text.replace(/in \d+ms/, 'in Nms');
    expect(out.slice(2, 9).map(untimed)).to.deep.equal(act(1).slice(1, 8).map(untimed));
    expect(out.some((l) => l.includes('(none of them reached the server)'))).to.equal(true);
    expect(out.some((l) => l.startsWith('reports pool: 2 ok, 4 refused full'))).to.equal(true);
    expect(out.some((l) => / dropped: the queue was full, so /.test(l))).to.equal(true);
  });
});
