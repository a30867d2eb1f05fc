import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { sharedBreakerTraffic } from '../../examples/sharedCircuitBreaker';

describe('examples/sharedCircuitBreaker', () => {
  /** The example's lines, run in virtual time. */
  function run(): string[] {
    const scheduler = new TestScheduler(() => undefined);
    const lines: string[] = [];
    let completed = false;
    scheduler.run(() => {
      sharedBreakerTraffic(scheduler).subscribe({
        next: (line) => lines.push(line),
        complete: () => (completed = true),
      });
    });
    expect(completed).to.equal(true);
    expect(scheduler.actions, 'timers left after the example completed').to.have.length(0);
    return lines;
  }

  it('should fail fast during the outage: open, refuse, probe, reopen for longer, then close', () => {
    expect(run()).to.deep.equal([
      't=0 breaker prices: closed',
      't=30 GET /price/0: ok',
      't=230 GET /price/1: ok',
      't=430 GET /price/2: ok',
      't=630 GET /price/3: ok',
      't=830 GET /price/4: ok',
      't=1050 GET /price/5: failed (503)',
      't=1250 GET /price/6: failed (503)',
      't=1450 breaker prices: open',
      't=1450 GET /price/7: failed (503)',
      't=1600 GET /price/8: refused, retry after 850ms',
      't=1800 GET /price/9: refused, retry after 650ms',
      't=2000 GET /price/10: refused, retry after 450ms',
      't=2200 GET /price/11: refused, retry after 250ms',
      't=2400 GET /price/12: refused, retry after 50ms',
      't=2450 breaker prices: halfOpen',
      't=2650 breaker prices: open',
      't=2650 GET /price/13: failed (503)',
      't=2800 GET /price/14: refused, retry after 1850ms',
      't=3000 GET /price/15: refused, retry after 1650ms',
      't=3200 GET /price/16: refused, retry after 1450ms',
      't=3400 GET /price/17: refused, retry after 1250ms',
      't=3600 GET /price/18: refused, retry after 1050ms',
      't=3800 GET /price/19: refused, retry after 850ms',
      't=4000 GET /price/20: refused, retry after 650ms',
      't=4200 GET /price/21: refused, retry after 450ms',
      't=4400 GET /price/22: refused, retry after 250ms',
      't=4600 GET /price/23: refused, retry after 50ms',
      't=4650 breaker prices: halfOpen',
      't=4830 GET /price/24: ok',
      't=4830 breaker prices: closed',
      't=5000 breaker prices: closed, 15 calls refused, 0 outcomes in the window',
    ]);
  });

  it('should give every request exactly one outcome line', () => {
    const requests = run().filter((line) => line.includes('GET /price/'));
    expect(requests).to.have.length(25);
    const ids = requests.map((line) => /\/price\/(\d+):/.exec(line)![1]);
    expect(new Set(ids).size).to.equal(25);
  });
});
