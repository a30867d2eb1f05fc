import { expect } from 'chai';
import { runAdaptiveConcurrency, type AdaptiveRun } from '../../examples/adaptiveConcurrency';

describe('examples/adaptiveConcurrency', function () {
  // Real sockets on 127.0.0.1 and real timers: 5 s of overload, plus the machine's own delays.
  this.timeout(30_000);
  let run: AdaptiveRun;
  const lines: string[] = [];

  before(async () => {
    run = await runAdaptiveConcurrency(5, (line) => lines.push(line));
  });

  it('should print every move of the limit and a summary each second', () => {
    expect(run.moves.length).to.be.greaterThan(3);
    expect(lines.filter((l) => l.includes(' limit ') && l.startsWith('t=')).length).to.equal(
      run.moves.length,
    );
    expect(run.seconds.length).to.be.within(4, 8);
    for (const { from, to } of run.moves) expect(Math.abs(to - from)).to.be.at.least(1);
  });

  it('should bring the limit from its guess of 30 down to near the knee of 10, and keep it there', () => {
    const message = lines.join('\n');
    expect(run.moves[0]!.from, message).to.equal(30);
    expect(
      run.moves.some((m) => m.to <= 15),
      message,
    ).to.equal(true);
    // Once it has come down (its first time at 15 or less), it stays within twice the knee.
    const down = run.moves.findIndex((m) => m.to <= 15);
    for (const move of run.moves.slice(down)) expect(move.to, message).to.be.within(5, 20);
  });

  it("should bring the callers' latency down with it", () => {
    const message = lines.join('\n');
    const worst = Math.max(...run.seconds.map((s) => s.p99));
    const last = run.seconds[run.seconds.length - 1]!;
    expect(last.served, message).to.be.greaterThan(0);
    expect(last.p99, message).to.be.below(worst);
  });
});
