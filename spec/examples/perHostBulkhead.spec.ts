import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { perHostTraffic } from '../../examples/perHostBulkhead';

describe('examples/perHostBulkhead', () => {
  /** The example's lines, run in virtual time. */
  function run(): string[] {
    const scheduler = new TestScheduler(() => undefined);
    const lines: string[] = [];
    let completed = false;
    scheduler.run(() => {
      perHostTraffic(scheduler).subscribe({
        next: (line) => lines.push(line),
        complete: () => (completed = true),
      });
    });
    expect(completed).to.equal(true);
    return lines;
  }

  it('should isolate the slow host: its pool fills and refuses, the fast hosts answer on time', () => {
    const lines = run();
    expect(lines).to.deep.equal([
      't=0 slow.example/report/5: refused, pool full (2/2 running, 3/3 waiting)',
      't=0 slow.example/report/6: refused, pool full (2/2 running, 3/3 waiting)',
      't=0 slow.example/report/7: refused, pool full (2/2 running, 3/3 waiting)',
      't=20 cdn.example/img/0.png: ok',
      't=20 cdn.example/img/1.png: ok',
      't=40 cdn.example/img/2.png: ok',
      't=40 cdn.example/img/3.png: ok',
      't=50 api.example/user/0: ok',
      't=50 api.example/user/1: ok',
      't=60 cdn.example/img/4.png: ok',
      't=100 api.example/user/2: ok',
      't=100 api.example/user/3: ok',
      't=150 api.example/user/4: ok',
      't=500 slow.example/report/2: refused, waited 500ms in the queue',
      't=500 slow.example/report/3: refused, waited 500ms in the queue',
      't=500 slow.example/report/4: refused, waited 500ms in the queue',
      't=1500 slow.example/report/0: ok',
      't=1500 slow.example/report/1: ok',
      't=2600 registry: evicted slow.example (idle, unused for 2600ms)',
      't=2600 registry: evicted cdn.example (idle, unused for 2600ms)',
      't=2650 api.example/user/again: ok',
    ]);
  });

  it('should give every request of the burst exactly one outcome', () => {
    const requests = run().filter((line) => !line.includes('registry:'));
    expect(requests).to.have.length(8 + 5 + 5 + 1);
    const paths = requests.map((line) => line.split(' ')[1]!.replace(/:$/, ''));
    expect(new Set(paths).size).to.equal(paths.length);
  });
});
