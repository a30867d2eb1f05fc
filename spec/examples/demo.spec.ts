import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { main, type DemoResult } from '../../examples/demo';

describe('examples/demo', function () {
  // Real sockets on 127.0.0.1 and real timers: the demo takes about 1.5 s.
  this.timeout(20_000);

  let result: DemoResult;
  const lines: string[] = [];

  before(async () => {
    result = await main({ print: (line) => lines.push(line) });
  });

  it('should print one line per call, in order, between the server lines', () => {
    expect(lines).to.have.length(9);
    expect(lines[0]).to.match(/^flaky server on http:\/\/127\.0\.0\.1:\d+$/);
    const patterns = [
      /^call 1 \(healthy\): ok in \d+ms$/,
      /^call 2 \(one 503\): ok after 1 retry in \d+ms; failed attempts: HttpStatusError 503$/,
      /^call 3 \(reset, then 503\): ok after 2 retries in \d+ms; failed attempts: NetworkError ECONNRESET, HttpStatusError 503$/,
      /^call 4 \(one slow answer\): ok after 1 retry in \d+ms; failed attempts: TimeoutExceededError \(total 200ms\)$/,
      /^call 5 \(always 503\): HttpStatusError 503 after 3 retries in \d+ms$/,
      /^call 6 \(404\): HttpStatusError 404, not retried, in \d+ms$/,
      /^call 7 \(always slow, 500ms deadline\): TimeoutExceededError \(total 500ms\) at the call deadline, in \d+ms$/,
    ];
    patterns.forEach((pattern, i) => expect(lines[i + 1]).to.match(pattern));
    expect(lines[8]).to.match(
      /^server: \d+ requests, \d+ of them aborted by the client when they timed out$/,
    );
    expect(result.calls.map((c) => c.line)).to.deep.equal(lines.slice(1, 8));
  });

  it('should retry transient failures only, within maxRetries', () => {
    const summary = result.calls.map(({ outcome, attempts, failures }) => ({ outcome, attempts, failures }));
    expect(summary.slice(0, 6)).to.deep.equal([
      { outcome: 'ok', attempts: 1, failures: [] },
      { outcome: 'ok', attempts: 2, failures: ['HttpStatusError 503'] },
      { outcome: 'ok', attempts: 3, failures: ['NetworkError ECONNRESET', 'HttpStatusError 503'] },
      { outcome: 'ok', attempts: 2, failures: ['TimeoutExceededError (total 200ms)'] },
      { outcome: 'HttpStatusError', attempts: 4, failures: Array(4).fill('HttpStatusError 503') },
      { outcome: 'HttpStatusError', attempts: 1, failures: ['HttpStatusError 404'] },
    ]);
    const deadline = result.calls[6]!;
    expect(deadline.outcome).to.equal('TimeoutExceededError');
    expect(deadline.failures.length).to.be.at.least(1);
    expect(deadline.failures.every((f) => f === 'TimeoutExceededError (total 200ms)')).to.equal(true);
  });

  it('should give up on a slow answer at the timeout rather than wait for it', () => {
    // The slow answers take 1000 ms; the attempt timeout is 200 ms and the call deadline 500 ms.
    const [slowOnce, alwaysSlow] = [result.calls[3]!, result.calls[6]!];
    expect(slowOnce.ms).to.be.at.least(200).and.below(1000);
    expect(alwaysSlow.ms).to.be.at.least(500).and.below(1000);
  });

  it('should abort every request whose attempt timed out, and send no request it does not count', () => {
    const sent = result.calls.reduce((n, c) => n + c.attempts, 0);
    const timedOut = result.calls.reduce(
      (n, c) => n + c.failures.filter((f) => f.startsWith('TimeoutExceededError')).length,
      0,
    );
    expect(result.server.requests).to.equal(sent);
    // The call deadline may also cut an attempt in flight.
    expect(result.server.aborted).to.be.within(timedOut, timedOut + 1);
  });

  it('should close its server when done', async () => {
    const error = await fetch(result.server.url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { cause?: { code?: string } } | undefined)?.cause?.code).to.equal('ECONNREFUSED');
  });

  it('should run as `npm start` does, and exit by itself with code 0', async () => {
    const root = join(__dirname, '..', '..');
    const tsNode = join(root, 'node_modules', 'ts-node', 'dist', 'bin.js');
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [tsNode, '--transpile-only', 'examples/demo.ts'],
        { cwd: root, timeout: 15_000 },
        (_error, out) => resolve({ code: child.exitCode, stdout: out }),
      );
    });
    expect(code).to.equal(0);
    // The same calls with the same outcomes as in process; only the durations differ between runs.
    const untimed = (text: string): string => text.replace(/in \d+ms/, 'in Nms');
    expect(stdout.trim().split('\n').slice(1, 8).map(untimed)).to.deep.equal(lines.slice(1, 8).map(untimed));
  });
});
