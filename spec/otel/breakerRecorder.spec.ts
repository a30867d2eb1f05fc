import { expect } from 'chai';
import { CircuitBreaker } from '../../src/breaker/CircuitBreaker';
import { CircuitOpenError } from '../../src/errors/CircuitOpenError';
import { HttpStatusError } from '../../src/errors/HttpStatusError';
import { circuitBreaker } from '../../src/operators/circuitBreaker';
import { instrument } from '../../src/otel/instrument';
import { marbles, type Context } from '../helpers/marbles';
import { InMemoryMetrics } from '../helpers/otelSdk';

const unavailable = new HttpStatusError({
  status: 503,
  statusText: 'Service Unavailable',
  url: 'http://127.0.0.1/prices',
  retryAfter: undefined,
  body: '',
});

/** Rendered attributes of the breaker named `prices` in state `s`. */
const inState = (s: string): string => `circuit_breaker.state=${s} policy.name=prices`;
const transition = (from: string, to: string): string =>
  `circuit_breaker.previous_state=${from} circuit_breaker.state=${to} policy.name=prices`;

/** The state gauge with `current` at 1. */
function stateGauge(current: string, name = 'prices', count = 1): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of ['closed', 'open', 'halfOpen', 'isolated']) {
    out[`circuit_breaker.state=${s} policy.name=${name}`] = s === current ? count : 0;
  }
  return out;
}

/** A breaker that opens after 2 failures out of 2 and probes 4 ms later. */
function smallBreaker(m: Context, name = 'prices'): CircuitBreaker {
  return new CircuitBreaker({
    name,
    window: { type: 'count', size: 2 },
    minimumCalls: 2,
    openDuration: 4,
    scheduler: m.scheduler,
  });
}

describe('breakerRecorder', () => {
  let sdk: InMemoryMetrics;
  beforeEach(() => (sdk = new InMemoryMetrics()));
  afterEach(() => sdk.shutdown());

  // prettier-ignore
  it('should record the failures that open a breaker, its refusals, transitions and state', async () => {
    marbles((m) => {
      const breaker = smallBreaker(m);
      instrument(breaker, { meterProvider: sdk.provider });
      const call = (source: string) => m.cold(source, undefined, unavailable).pipe(circuitBreaker(breaker));
      const refused = new CircuitOpenError({ breaker: 'prices', state: 'open', retryAfter: 2 });
      m.expect(call('-#')).toBeObservable(             '-#', undefined, unavailable); // f1 fails at 1
      m.expect(call('-#')).toBeObservable(             '-#', undefined, unavailable); // f2: opens at 1
      m.expect(call('-|'), '---^').toBeObservable(     '---#', undefined, refused);   // refused at 3
      m.expect(breaker.state$).toBeObservable(         'co---h', { c: 'closed', o: 'open', h: 'halfOpen' });
    })();
    expect(await sdk.points()).to.deep.equal({
      'rxjs_resilience.circuit_breaker.calls': {
        'error.type=HttpStatusError outcome=failure policy.name=prices': 2,
      },
      'rxjs_resilience.circuit_breaker.transitions': {
        [transition('closed', 'open')]: 1,
        [transition('open', 'halfOpen')]: 1,
      },
      'rxjs_resilience.circuit_breaker.refusals': { [inState('open')]: 1 },
      'rxjs_resilience.circuit_breaker.state': stateGauge('halfOpen'),
    });
  });

  // prettier-ignore
  it('should record a probe that closes the breaker, refusals while halfOpen, and ignored and cancelled calls', async () => {
    marbles((m) => {
      const breaker = new CircuitBreaker({
        name: 'prices',
        window: { type: 'count', size: 2 },
        minimumCalls: 2,
        openDuration: 4,
        isFailure: (error) => error === unavailable,
        scheduler: m.scheduler,
      });
      instrument(breaker, { meterProvider: sdk.provider });
      const call = (source: string) => m.cold(source, undefined, unavailable).pipe(circuitBreaker(breaker));
      const probing = new CircuitOpenError({ breaker: 'prices', state: 'halfOpen', retryAfter: 0 });
      m.expect(call('-a|')).toBeObservable(                  '-a|');          // success at 1
      m.expect(m.cold('-#', undefined, new RangeError('bad input')).pipe(circuitBreaker(breaker)))
        .toBeObservable(                                     '-#', undefined, new RangeError('bad input')); // ignored
      m.expect(call('----a|'), '^-!').toBeObservable(        '---');          // cancelled at 2
      m.expect(call('-#'), '--^').toBeObservable(            '---#', undefined, unavailable);
      m.expect(call('-#'), '--^').toBeObservable(            '---#', undefined, unavailable); // opens at 3
      m.expect(call('--|'), '-------^').toBeObservable(      '---------|');   // probe at 7, closes at 9
      m.expect(call('-|'), '--------^').toBeObservable(      '--------#', undefined, probing);
      m.expect(breaker.state$).toBeObservable(               'c--o---h-c', { c: 'closed', o: 'open', h: 'halfOpen' });
    })();
    expect(await sdk.points()).to.deep.equal({
      'rxjs_resilience.circuit_breaker.calls': {
        'outcome=success policy.name=prices': 2,
        'error.type=RangeError outcome=ignored policy.name=prices': 1,
        'outcome=cancelled policy.name=prices': 1,
        'error.type=HttpStatusError outcome=failure policy.name=prices': 2,
      },
      'rxjs_resilience.circuit_breaker.transitions': {
        [transition('closed', 'open')]: 1,
        [transition('open', 'halfOpen')]: 1,
        [transition('halfOpen', 'closed')]: 1,
      },
      'rxjs_resilience.circuit_breaker.refusals': { [inState('halfOpen')]: 1 },
      'rxjs_resilience.circuit_breaker.state': stateGauge('closed'),
    });
  });

  it('should read isolate() and reset() as transitions and the state at collection time', async () => {
    marbles((m) => {
      const breaker = smallBreaker(m);
      instrument(breaker, { meterProvider: sdk.provider });
      breaker.isolate();
      m.expect(breaker.state$).toBeObservable('i', { i: 'isolated' });
    })();
    expect((await sdk.points())['rxjs_resilience.circuit_breaker.state']).to.deep.equal(
      stateGauge('isolated'),
    );
    expect((await sdk.points())['rxjs_resilience.circuit_breaker.transitions']).to.deep.equal({
      [transition('closed', 'isolated')]: 1,
    });
  });

  it('should sum the states of breakers sharing a name, so a registry of them reports how many are open', async () => {
    marbles((m) => {
      const breakers = [1, 2, 3].map(() => smallBreaker(m, 'per-host'));
      instrument(breakers, { meterProvider: sdk.provider });
      breakers[0]!.isolate();
      breakers[1]!.isolate();
      m.expect(breakers[2]!.state$).toBeObservable('c', { c: 'closed' });
    })();
    expect((await sdk.points())['rxjs_resilience.circuit_breaker.state']).to.deep.equal({
      'circuit_breaker.state=closed policy.name=per-host': 1,
      'circuit_breaker.state=open policy.name=per-host': 0,
      'circuit_breaker.state=halfOpen policy.name=per-host': 0,
      'circuit_breaker.state=isolated policy.name=per-host': 2,
    });
  });
});
