import { expect } from 'chai';
import { Bulkhead } from '../../src/bulkhead/Bulkhead';
import { throwError } from 'rxjs';
import { BulkheadRejectedError } from '../../src/errors/BulkheadRejectedError';
import { TimeoutExceededError } from '../../src/errors/TimeoutExceededError';
import { bulkhead } from '../../src/operators/bulkhead';
import { instrument } from '../../src/otel/instrument';
import { marbles } from '../helpers/marbles';
import { InMemoryMetrics } from '../helpers/otelSdk';

describe('bulkheadRecorder', () => {
  let sdk: InMemoryMetrics;
  beforeEach(() => (sdk = new InMemoryMetrics()));
  afterEach(() => sdk.shutdown());

  // prettier-ignore
  it('should read refusals by reason (from 0 on) and occupancy when the SDK collects', async () => {
    marbles((m) => {
      const pool = new Bulkhead({ name: 'users', maxConcurrent: 1, maxQueued: 1, queueTimeout: 2, scheduler: m.scheduler });
      const stuck = new Bulkhead({ name: 'stuck', maxConcurrent: 2, maxQueued: 5, scheduler: m.scheduler });
      instrument([pool, stuck], { meterProvider: sdk.provider });
      const call = (source: string) => m.cold(source).pipe(bulkhead(pool));
      const full = new BulkheadRejectedError({ bulkhead: 'users', reason: 'full', active: 1, maxConcurrent: 1, queued: 1, maxQueued: 1 });
      const late = new BulkheadRejectedError({ bulkhead: 'users', reason: 'queueTimeout', active: 1, maxConcurrent: 1, queued: 0, maxQueued: 1 });
      m.expect(call('---|')).toBeObservable(                 '---|');      // runs 0-3
      m.expect(call('-|'), '-^').toBeObservable(             '----|');     // waits 1-3, runs 3-4
      m.expect(call('-|'), '--^').toBeObservable(            '--#', undefined, full);
      m.expect(call('----|'), '-----^').toBeObservable(      '---------|'); // runs 5-9
      m.expect(call('-|'), '------^').toBeObservable(        '--------#', undefined, late); // waits 6-8
      for (let i = 0; i < 3; i++) m.cold('-').pipe(bulkhead(stuck)).subscribe();
    })();
    expect(await sdk.points()).to.deep.equal({
      'rxjs_resilience.bulkhead.refusals': {
        'bulkhead.reason=full policy.name=users': 1,
        'bulkhead.reason=queueTimeout policy.name=users': 1,
        'bulkhead.reason=full policy.name=stuck': 0,
        'bulkhead.reason=queueTimeout policy.name=stuck': 0,
      },
      'rxjs_resilience.bulkhead.active': { 'policy.name=users': 0, 'policy.name=stuck': 2 },
      'rxjs_resilience.bulkhead.queued': { 'policy.name=users': 0, 'policy.name=stuck': 1 },
      'rxjs_resilience.bulkhead.limit': { 'policy.name=users': 1, 'policy.name=stuck': 2 },
    });
  });

  it("should read an adaptive pool's limit where it has moved", async () => {
    const pool = new Bulkhead({ name: 'search', maxConcurrent: 10, adaptive: { algorithm: 'aimd' } });
    instrument(pool, { meterProvider: sdk.provider });
    throwError(() => new TimeoutExceededError({ limit: 'total', after: 1, seen: 0, meta: undefined }))
      .pipe(bulkhead(pool))
      .subscribe({ error: () => undefined });
    expect(pool.limit).to.equal(9);
    expect((await sdk.points())['rxjs_resilience.bulkhead.limit']).to.deep.equal({ 'policy.name=search': 9 });
  });

  it('should name the units and kinds of its instruments', async () => {
    const pool = new Bulkhead({ name: 'users', maxConcurrent: 1 });
    instrument(pool, { meterProvider: sdk.provider });
    pool.events$.subscribe().unsubscribe();
    expect(await sdk.descriptors()).to.deep.equal({
      'rxjs_resilience.bulkhead.active': { unit: '{call}', description: 'Calls running', type: 'SUM' },
      'rxjs_resilience.bulkhead.queued': {
        unit: '{call}',
        description: 'Calls waiting for a slot',
        type: 'SUM',
      },
      'rxjs_resilience.bulkhead.limit': {
        unit: '{call}',
        description: 'Calls that may run at once (maxConcurrent, or where an adaptive limit moved it)',
        type: 'SUM',
      },
      'rxjs_resilience.bulkhead.refusals': {
        unit: '{call}',
        description: 'Calls a bulkhead refused with BulkheadRejectedError, by reason (full, queueTimeout)',
        type: 'SUM',
      },
    });
  });
});
