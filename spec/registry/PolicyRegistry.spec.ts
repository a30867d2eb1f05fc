import { expect } from 'chai';
import { Subject, defer, of, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CircuitBreaker } from '../../src/breaker/CircuitBreaker';
import { Bulkhead } from '../../src/bulkhead/Bulkhead';
import { isInvalidConfigError } from '../../src/errors/InvalidConfigError';
import { bulkhead } from '../../src/operators/bulkhead';
import { circuitBreaker } from '../../src/operators/circuitBreaker';
import { PolicyRegistry } from '../../src/registry/PolicyRegistry';
import type { PolicyRegistryEvent } from '../../src/registry/PolicyRegistryEvent';
import { captureThrow } from '../helpers/captureError';
import { marbles } from '../helpers/marbles';

/** `type key reason@at size`, one string per event. */
const describeEvent = (e: PolicyRegistryEvent<string, unknown>): string =>
  e.type === 'created'
    ? `created ${e.key}@${e.at} size=${e.size}`
    : `evicted ${e.key} ${e.reason}@${e.at} idleFor=${e.idleFor} size=${e.size}`;

describe('PolicyRegistry', () => {
  const pools = (config: { idleTimeout?: number; maxKeys?: number } = {}) =>
    new PolicyRegistry<string, Bulkhead>({
      create: (host) => new Bulkhead({ name: host, maxConcurrent: 1, maxQueued: 1 }),
      ...config,
    });

  it(
    'should create one policy per key on first use, from the shared factory, and return it after',
    marbles(() => {
      const made: string[] = [];
      const registry = new PolicyRegistry<string, Bulkhead>({
        create: (host) => {
          made.push(host);
          return new Bulkhead({ name: host, maxConcurrent: 2 });
        },
      });
      const a = registry.get('a.example');
      expect(registry.get('a.example')).to.equal(a);
      const b = registry.get('b.example');
      expect(b).to.not.equal(a);
      expect([a.name, b.name]).to.deep.equal(['a.example', 'b.example']);
      expect(made).to.deep.equal(['a.example', 'b.example']);
      expect(registry.size).to.equal(2);
    }),
  );

  it(
    'should evict a key idle for idleTimeout on a later access, and report it',
    marbles((m) => {
      const registry = pools({ idleTimeout: 10 });
      const log: string[] = [];
      registry.events$.subscribe((e) => log.push(describeEvent(e)));
      const first = registry.get('a');
      registry.get('b');
      m.scheduler.schedule(() => registry.get('b'), 5); // b used again: kept
      m.scheduler.schedule(() => registry.get('c'), 12); // a expired at 10: evicted now
      m.scheduler.schedule(() => expect(registry.get('a')).to.not.equal(first), 13);
      m.flush();
      expect(log).to.deep.equal([
        'created a@0 size=1',
        'created b@0 size=2',
        'evicted a idle@12 idleFor=12 size=1',
        'created c@12 size=2',
        'created a@13 size=3',
      ]);
      expect(registry.keys()).to.deep.equal(['b', 'c', 'a']);
    }),
  );

  it(
    'should never evict a bulkhead with calls running or waiting, and evict it once they end',
    marbles((m) => {
      const registry = pools({ idleTimeout: 10 });
      const evicted: string[] = [];
      registry.events$.subscribe((e) => e.type === 'evicted' && evicted.push(`${e.key}@${e.at}`));
      const running = new Subject<number>();
      running.pipe(bulkhead(registry.get('busy'))).subscribe();
      const waiting = running.pipe(bulkhead(registry.get('busy'))).subscribe();
      registry.get('idle');
      m.scheduler.schedule(() => registry.get('other'), 50);
      m.scheduler.schedule(() => waiting.unsubscribe(), 60);
      m.scheduler.schedule(() => registry.get('other'), 70); // busy still runs one call
      m.scheduler.schedule(() => running.complete(), 72);
      m.scheduler.schedule(() => registry.get('other'), 75); // idle since 72, but seen in use at 70: kept
      m.scheduler.schedule(() => registry.get('other'), 80);
      m.flush();
      expect(evicted).to.deep.equal(['idle@50', 'busy@80']);
    }),
  );

  it(
    'should keep at most maxKeys, evicting the least recently used idle key, never one in use',
    marbles(() => {
      const registry = pools({ idleTimeout: Infinity, maxKeys: 3 });
      const log: string[] = [];
      registry.events$.subscribe((e) => e.type === 'evicted' && log.push(`${e.key} ${e.reason}`));
      new Subject<number>().pipe(bulkhead(registry.get('held'))).subscribe();
      registry.get('a');
      registry.get('b');
      registry.get('a'); // order now: held, b, a
      registry.get('c'); // held is in use: b goes
      expect(log).to.deep.equal(['b maxKeys']);
      expect(registry.keys()).to.have.members(['held', 'a', 'c']);
      expect(registry.size).to.equal(3);
    }),
  );

  it(
    'should let only policies in use take it past maxKeys, never evicting the key just asked for',
    marbles(() => {
      const registry = pools({ idleTimeout: Infinity, maxKeys: 1 });
      new Subject<number>().pipe(bulkhead(registry.get('x'))).subscribe();
      new Subject<number>().pipe(bulkhead(registry.get('y'))).subscribe();
      const z = registry.get('z');
      expect(registry.peek('z')).to.equal(z);
      expect(registry.size).to.equal(3);
      registry.get('w'); // z is idle now: it goes, x and y stay
      expect(registry.keys()).to.have.members(['x', 'y', 'w']);
    }),
  );

  it(
    'should evict every expired idle key at once with evictIdle()',
    marbles((m) => {
      const registry = pools({ idleTimeout: 5 });
      for (let i = 0; i < 100; i++) registry.get(`k${i}`);
      new Subject<number>().pipe(bulkhead(registry.get('k7'))).subscribe();
      let evicted = -1;
      m.scheduler.schedule(() => (evicted = registry.evictIdle()), 5);
      m.flush();
      expect(evicted).to.equal(99);
      expect(registry.keys()).to.deep.equal(['k7']);
    }),
  );

  it(
    'should peek and test keys without creating them or marking them used, and delete on demand',
    marbles((m) => {
      const registry = pools({ idleTimeout: 10 });
      const log: string[] = [];
      registry.events$.subscribe((e) => log.push(describeEvent(e)));
      expect(registry.peek('a')).to.equal(undefined);
      expect(registry.has('a')).to.equal(false);
      const a = registry.get('a');
      m.scheduler.schedule(() => {
        expect(registry.peek('a')).to.equal(a);
        expect(registry.has('a')).to.equal(true);
      }, 8);
      m.scheduler.schedule(() => registry.get('b'), 10); // peek at 8 did not count as use
      m.scheduler.schedule(() => {
        expect(registry.delete('b')).to.equal(true);
        expect(registry.delete('b')).to.equal(false);
      }, 11);
      m.flush();
      expect(log).to.deep.equal([
        'created a@0 size=1',
        'evicted a idle@10 idleFor=10 size=0',
        'created b@10 size=1',
        'evicted b deleted@11 idleFor=1 size=0',
      ]);
    }),
  );

  it('should pass a throw from create to the caller and hold nothing for that key', () => {
    const registry = new PolicyRegistry<string, Bulkhead>({
      create: (key) => new Bulkhead({ name: key, maxConcurrent: key === 'bad' ? 0 : 1 }),
    });
    registry.get('good');
    expect(isInvalidConfigError(captureThrow(() => registry.get('bad')))).to.equal(true);
    expect(registry.has('bad')).to.equal(false);
    expect(registry.keys()).to.deep.equal(['good']);
  });

  it('should refuse a get of the key being built from inside its create, and build one policy', () => {
    const refusals: string[] = [];
    const registry = new PolicyRegistry<string, { key: string; parent?: unknown }>({
      create: (key) => {
        try {
          registry.get(key);
        } catch (err) {
          refusals.push((err as Error).message);
        }
        return { key };
      },
    });
    const a = registry.get('a');
    expect(registry.get('a')).to.equal(a);
    expect(registry.keys()).to.deep.equal(['a']);
    expect(registry.size).to.equal(1);
    expect(refusals).to.deep.equal([
      'PolicyRegistry: get("a") was called from inside create("a"), which is building the policy of that ' +
        'key: there is no policy to return yet. Build it without asking the registry for it.',
    ]);
  });

  it('should let create get other keys, and refuse a cycle back to the key being built', () => {
    type Node = { key: string; parent: unknown };
    const registry: PolicyRegistry<string, Node> = new PolicyRegistry<string, Node>({
      create: (key): Node => ({
        key,
        parent: key === 'a/b' ? registry.get('a') : key === 'a' ? registry.get('a/b') : null,
      }),
    });
    const error = captureThrow(() => registry.get('a'));
    expect((error as Error).message).to.match(
      /^PolicyRegistry: get\("a"\) was called from inside create\("a"\)/,
    );
    expect(registry.keys()).to.deep.equal([]);
    type Layer = { key: number; parent: unknown };
    const composite: PolicyRegistry<number, Layer> = new PolicyRegistry<number, Layer>({
      create: (key): Layer => ({ key, parent: key > 0 ? composite.get(key - 1) : null }),
    });
    const two = composite.get(2);
    expect(composite.keys()).to.deep.equal([0, 1, 2]);
    expect(two.parent).to.equal(composite.peek(1));
  });

  it(
    'should tell every observer of events$ in order when an observer gets another key',
    marbles(() => {
      const registry = pools();
      const logs: string[][] = [[], []];
      registry.events$.subscribe((e) => {
        logs[0]!.push(describeEvent(e));
        if (e.type === 'created' && e.key === 'a') registry.get('b');
      });
      registry.events$.subscribe((e) => logs[1]!.push(describeEvent(e)));
      registry.get('a');
      expect(logs[1]).to.deep.equal(['created a@0 size=1', 'created b@0 size=2']);
      expect(logs[0]).to.deep.equal(logs[1]);
    }),
  );

  it('should throw InvalidConfigError naming every bad field', () => {
    const error = captureThrow(
      () =>
        new PolicyRegistry({
          create: 'Bulkhead',
          idleTimeout: 0,
          maxKeys: 0.5,
          isIdle: true,
          ttl: 5,
        } as never),
    );
    expect((error as Error).message).to.equal(
      'PolicyRegistry: invalid config: ' +
        '`create` must be a function, got "Bulkhead" (string); ' +
        '`idleTimeout` must be a positive number of milliseconds, got 0 (number); ' +
        '`maxKeys` must be a positive integer or Infinity, got 0.5 (number); ' +
        '`isIdle` must be a function, got true (boolean); ' +
        'unknown option `ttl`: expected one of the known options (`create`, `idleTimeout`, `maxKeys`, `isIdle`, `scheduler`), got 5 (number)',
    );
  });

  it(
    'should serve CircuitBreaker alike: keep an open breaker, evict a closed idle one',
    marbles((m) => {
      const breakers = new PolicyRegistry<string, CircuitBreaker>({
        create: (host) =>
          new CircuitBreaker({
            name: host,
            window: { type: 'count', size: 2 },
            minimumCalls: 2,
            openDuration: 100,
          }),
        idleTimeout: 10,
      });
      const call = (host: string, ok: boolean) =>
        defer(() => (ok ? of(host) : throwError(() => new Error('down')))).pipe(
          circuitBreaker(breakers.get(host)),
        );
      const noop = { error: () => undefined };
      call('down.example', false).subscribe(noop);
      call('down.example', false).subscribe(noop);
      call('up.example', true).subscribe(noop);
      const down = breakers.get('down.example');
      expect(down.state).to.equal('open');
      m.scheduler.schedule(() => breakers.get('other.example'), 20); // up evicted; down open: kept
      m.scheduler.schedule(
        () => expect(breakers.keys()).to.deep.equal(['down.example', 'other.example']),
        21,
      );
      m.scheduler.schedule(() => breakers.get('other.example'), 120); // down halfOpen and idle now
      m.flush();
      expect(breakers.keys()).to.deep.equal(['other.example']);
      expect(breakers.get('down.example')).to.not.equal(down);
    }),
  );

  it('should stay bounded while a million keys come and go in virtual time', function () {
    this.timeout(120_000); // a shared machine; the assertion is on size, never on time
    const scheduler = new TestScheduler(() => undefined);
    const frames = 1000;
    const perFrame = 1000;
    const idleTimeout = 10;
    scheduler.run(() => {
      let created = 0;
      const registry = new PolicyRegistry<string, Bulkhead>({
        create: (key) => {
          created++;
          return new Bulkhead({ name: key, maxConcurrent: 1, maxQueued: 1, scheduler });
        },
        idleTimeout,
        scheduler,
      });
      let evicted = 0;
      // Counted from events$ without keeping them: every eviction is reported.
      registry.events$.subscribe((e) => e.type === 'evicted' && evicted++);
      // One key holds a call open the whole time: it must never be evicted.
      const held = new Subject<number>();
      const pinned = registry.get('pinned');
      held.pipe(bulkhead(pinned)).subscribe();
      let largest = 0;
      for (let frame = 1; frame <= frames; frame++) {
        scheduler.schedule(() => {
          for (let i = 0; i < perFrame; i++) {
            registry.get(`${frame}:${i}`);
            if (registry.size > largest) largest = registry.size;
          }
        }, frame);
      }
      scheduler.flush();
      expect(created).to.equal(frames * perFrame + 1);
      // Keys of the last idleTimeout frames, this frame's, the pinned one: nothing older survives,
      // at any point (not only at the end of a frame).
      expect(largest).to.be.at.most((idleTimeout + 1) * perFrame + 1);
      expect(evicted).to.equal(created - registry.size);
      expect(registry.peek('pinned')).to.equal(pinned);
      held.complete();
    });
  });
});
