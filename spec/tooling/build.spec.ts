import { expect } from 'chai';
import { createRequire } from 'module';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { throwError } from 'rxjs';
import * as ts from 'typescript';
import { InMemoryMetrics } from '../helpers/otelSdk';
import { marbles } from '../helpers/marbles';

type Lib = typeof import('../../src/index');
type Testing = typeof import('../../src/testing/index');
type Marbles = typeof import('../../src/testing/marbles');
type Otel = typeof import('../../src/otel/index');
/** One build of the package, as a user's code loads it: each subpath. */
interface Build {
  readonly lib: Lib;
  readonly testing: Testing;
  readonly marbles: Marbles;
  readonly otel: Otel;
}

/** require() for what is not TypeScript: the build script, and both builds of the package. */
const load = createRequire(__filename);
const build = load('../../.ci/build') as {
  builtSpecifier(specifier: string, fromDir: string): string;
  installBuild(projectDir: string): Promise<string>;
};
const root = join(__dirname, '..', '..');
const SUBPATHS = { lib: '', testing: '/testing', marbles: '/testing/marbles', otel: '/otel' } as const;

describe('.ci/build.js', () => {
  describe('builtSpecifier', () => {
    const src = join(root, 'src');
    it('should give a relative import of a file its .js, and of a folder its index.js', () => {
      expect(build.builtSpecifier('./operators/timeoutAfter', src)).to.equal('./operators/timeoutAfter.js');
      expect(build.builtSpecifier('./testing', src)).to.equal('./testing/index.js');
      // faultServer.ts and the folder faultServer/ both exist: the file, as Node's CommonJS resolver says
      expect(build.builtSpecifier('./faultServer', join(src, 'testing'))).to.equal('./faultServer.js');
    });

    it('should give .js to a deep import into a package without exports, and leave the others', () => {
      expect(build.builtSpecifier('fp-ts/lib/Either', src)).to.equal('fp-ts/lib/Either.js');
      expect(build.builtSpecifier('rxjs/testing', src)).to.equal('rxjs/testing');
      expect(build.builtSpecifier('io-ts', src)).to.equal('io-ts');
      expect(build.builtSpecifier('@opentelemetry/api', src)).to.equal('@opentelemetry/api');
    });

    it('should throw on a relative import that names no source file', () => {
      expect(() => build.builtSpecifier('./nowhere', src)).to.throw('src: cannot resolve ./nowhere');
    });
  });

  // Both builds loaded in this process, through the package's exports map: `import` gives the ES module
  // build, `require` the CommonJS one. Two copies of every class; one rxjs (its `node` condition gives
  // both the same CommonJS file), so this spec's TestScheduler drives both.
  describe('the ES module and CommonJS builds in one process', function () {
    this.timeout(20_000); // the JavaScript build: well under a second alone
    let project: string;
    let esm: Build;
    let cjs: Build;

    before(async () => {
      project = realpathSync(mkdtempSync(join(tmpdir(), 'build-spec-')));
      await build.installBuild(project);
      const entries = Object.entries(SUBPATHS);
      writeFileSync(
        join(project, 'esm.mjs'),
        entries.map(([k, p]) => `export * as ${k} from 'rxjs-resilience${p}';`).join('\n'),
      );
      writeFileSync(
        join(project, 'cjs.cjs'),
        entries.map(([k, p]) => `exports.${k} = require('rxjs-resilience${p}');`).join('\n'),
      );
      // require() of an ES module (Node >= 20.19): its own imports resolve with the `import` condition.
      esm = load(join(project, 'esm.mjs')) as Build;
      cjs = load(join(project, 'cjs.cjs')) as Build;
    });

    after(() => rmSync(project, { recursive: true, force: true }));

    it('should load two copies with the same exports, each from its own folder', () => {
      for (const key of Object.keys(SUBPATHS) as (keyof Build)[]) {
        expect(Object.keys(esm[key]).sort(), key).to.deep.equal(Object.keys(cjs[key]).sort());
      }
      expect(esm.lib.CircuitBreaker).not.to.equal(cjs.lib.CircuitBreaker);
      expect(Object.prototype.toString.call(esm.lib)).to.equal('[object Module]');
      // (resolved from the project: from this spec, `rxjs-resilience` is the repository itself)
      const resolved = createRequire(join(project, 'cjs.cjs')).resolve('rxjs-resilience');
      expect(resolved).to.equal(join(project, 'node_modules/rxjs-resilience/dist/cjs/index.js'));
    });

    it('should mark both folders free of side effects, as the package is', () => {
      const pkg = join(project, 'node_modules/rxjs-resilience');
      const read = (file: string) =>
        JSON.parse(readFileSync(join(pkg, file), 'utf8')) as Record<string, unknown>;
      expect(read('package.json')['sideEffects']).to.equal(false);
      expect(read('dist/esm/package.json')).to.deep.equal({ type: 'module', sideEffects: false });
      expect(read('dist/cjs/package.json')).to.deep.equal({ type: 'commonjs', sideEffects: false });
    });

    // prettier-ignore
    it('should time both builds in this spec\'s virtual time', marbles((m) => {
      const source =   m.cold('----a|');
      const expected =        '---#';
      const error = new esm.lib.TimeoutExceededError({ limit: 'total', after: 3, seen: 0, meta: undefined });
      m.expect(source.pipe(esm.lib.timeoutAfter(3))).toBeObservable(expected, undefined, error);
      m.expect(source.pipe(cjs.lib.timeoutAfter(3))).toBeObservable(expected, undefined, error);
    }));

    // prettier-ignore
    it('should drive a breaker of one build through the circuitBreaker of the other, both ways', marbles((m) => {
      for (const [maker, user] of [[cjs, esm], [esm, cjs]] as const) {
        const breaker = new maker.lib.CircuitBreaker({ minimumCalls: 2, window: { type: 'count', size: 2 }, openDuration: 5 });
        const failing = m.cold('-#', undefined, new TypeError('down'));
        m.expect(failing.pipe(user.lib.circuitBreaker(breaker))).toBeObservable('-#', undefined, new TypeError('down'));
        m.expect(failing.pipe(user.lib.circuitBreaker(breaker))).toBeObservable('-#', undefined, new TypeError('down'));
        const refused = new maker.lib.CircuitOpenError({ breaker: 'unnamed', state: 'open', retryAfter: 4 });
        m.expect(m.cold('--a|').pipe(user.lib.circuitBreaker(breaker)), '--^').toBeObservable('--#', undefined, refused);
        m.expect(breaker.state$, '^------!').toBeObservable('co----h', { c: 'closed', o: 'open', h: 'halfOpen' } as never);
      }
    }));

    // prettier-ignore
    it('should share one pool, limiter and budget between the operators of both builds', marbles((m) => {
      const pool = new cjs.lib.Bulkhead({ maxConcurrent: 1, maxQueued: 0 });
      const limiter = new esm.lib.RateLimiter({ limit: 1, interval: 10 });
      const budget = new cjs.lib.RetryBudget({ minRetriesPerSecond: 0, percentCanRetry: 0.0001 });
      const full = new cjs.lib.BulkheadRejectedError({ bulkhead: 'bulkhead', reason: 'full', active: 1, maxConcurrent: 1, queued: 0, maxQueued: 0 });
      const limited = new esm.lib.RateLimitedError({ limiter: 'rateLimiter', key: '', retryAfter: 10 });
      m.expect(m.cold('---a|').pipe(esm.lib.bulkhead(pool))).toBeObservable('---a|');
      m.expect(m.cold('---a|').pipe(cjs.lib.bulkhead(pool))).toBeObservable('#', undefined, full);
      m.expect(m.cold('a|').pipe(cjs.lib.rateLimit(limiter))).toBeObservable('a|');
      m.expect(m.cold('a|').pipe(esm.lib.rateLimit(limiter))).toBeObservable('#', undefined, limited);
      // no retry left in the budget: no hedge is started, and the first attempt's value wins at frame 5
      m.expect(m.cold('-----a|').pipe(esm.lib.hedge({ delay: 2, budget }))).toBeObservable('-----a|');
      m.flush();
      expect(budget.metrics()).to.include({ totalRefusals: 1 });
    }));

    // prettier-ignore
    it('should run a pipeline of one build with the policies and operators of the other', marbles((m) => {
      for (const [maker, user] of [[cjs, esm], [esm, cjs]] as const) {
        const breaker = new maker.lib.CircuitBreaker();
        const pool = new maker.lib.Bulkhead({ maxConcurrent: 2 });
        const pipeline = new user.lib.ResiliencePipeline({ breaker, bulkhead: pool, attemptTimeout: 4 });
        m.expect(m.cold('--a|').pipe(maker.lib.resilient(pipeline))).toBeObservable('--a|');
        const timeout = new user.lib.TimeoutExceededError({ limit: 'total', after: 4, seen: 0, meta: undefined });
        m.expect(m.cold('------a|').pipe(maker.lib.resilient(pipeline)), '^---------').toBeObservable('----#', undefined, timeout);
      }
    }));

    it('should recognise errors of the other build with its guards', () => {
      const errors = [
        new cjs.lib.CircuitOpenError({ breaker: 'b', state: 'open', retryAfter: 1 }),
        new esm.lib.CircuitOpenError({ breaker: 'b', state: 'open', retryAfter: 1 }),
      ];
      for (const error of errors) {
        expect([esm, cjs].map((b) => b.lib.isCircuitOpenError(error))).to.deep.equal([true, true]);
        expect([esm, cjs].map((b) => b.lib.isRefusal(error))).to.deep.equal([true, true]);
      }
      expect(errors[0]).not.to.be.instanceOf(esm.lib.CircuitOpenError);
    });

    it('should record the policies of one build with the instrument of the other', async () => {
      for (const [maker, user] of [
        [cjs, esm],
        [esm, cjs],
      ] as const) {
        const sdk = new InMemoryMetrics();
        const breaker = new maker.lib.CircuitBreaker({ name: 'b', minimumCalls: 1 });
        const registry = new maker.lib.PolicyRegistry({
          create: (key: string) => new maker.lib.Bulkhead({ name: key, maxConcurrent: 2 }),
        });
        registry.get('pool');
        const subscription = user.otel.instrument([breaker, registry], { meterProvider: sdk.provider });
        throwError(() => new TypeError('down'))
          .pipe(maker.lib.circuitBreaker(breaker))
          .subscribe({ error: () => undefined });
        const points = await sdk.points();
        expect(points['rxjs_resilience.circuit_breaker.state']).to.include({
          'circuit_breaker.state=open policy.name=b': 1,
        });
        expect(points['rxjs_resilience.bulkhead.limit']).to.deep.equal({ 'policy.name=pool': 2 });
        subscription.unsubscribe();
        await sdk.shutdown();
      }
    });

    it(
      'should read the state of a policy of one build with the testing kit of the other',
      marbles((m) => {
        const pool = new cjs.lib.Bulkhead({ maxConcurrent: 1 });
        const states = esm.marbles.bulkheadStates(pool);
        m.expect(states).toBeObservable('e', { e: 'empty' } as never);
      }),
    );

    it('should refuse a policy of a copy with another internal protocol, as instanceof did', () => {
      const foreign = Object.create({ [Symbol.for('rxjs-resilience/CircuitBreaker@0')]: true }) as never;
      for (const b of [esm, cjs]) {
        expect(() => b.lib.circuitBreaker(foreign)).to.throw(
          'circuitBreaker: invalid config: `breaker` must be a CircuitBreaker, got {} (Object)',
        );
      }
    });
  });
});

describe('package.json exports', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, unknown>;
    main: string;
    module: string;
    types: string;
  };
  const subpaths = Object.keys(pkg.exports).filter((key) => key !== './package.json');
  /** Subpaths whose source is not at their own path: the Redis store lives with the stores. */
  const moved: Record<string, string> = { './redis': join('src', 'stores', 'redis', 'index.ts') };
  /** The source file of a subpath: `.` is src/index.ts, `./testing` src/testing/index.ts, ... */
  const sourceOf = (subpath: string): string => {
    if (moved[subpath] !== undefined) return moved[subpath];
    const base = join('src', subpath.slice(2));
    return existsSync(join(root, `${base}.ts`)) ? `${base}.ts` : join(base, 'index.ts');
  };

  it('should map every subpath to both builds, types first, from one source file', () => {
    expect(subpaths).to.include.members(['.', './testing', './testing/marbles', './otel', './redis']);
    for (const subpath of subpaths) {
      const built = sourceOf(subpath)
        .replace(/^src\//, '')
        .replace(/\.ts$/, '');
      expect(existsSync(join(root, sourceOf(subpath))), subpath).to.equal(true);
      expect(pkg.exports[subpath], subpath).to.deep.equal({
        import: { types: `./dist/esm/${built}.d.ts`, default: `./dist/esm/${built}.js` },
        require: { types: `./dist/cjs/${built}.d.ts`, default: `./dist/cjs/${built}.js` },
      });
    }
    expect([pkg.main, pkg.module, pkg.types]).to.deep.equal([
      './dist/cjs/index.js',
      './dist/esm/index.js',
      './dist/cjs/index.d.ts',
    ]);
  });

  it('should document every subpath in the API reference (typedoc.json)', () => {
    const text = readFileSync(join(root, 'typedoc.json'), 'utf8');
    const { config, error } = ts.parseConfigFileTextToJson('typedoc.json', text);
    expect(error).to.equal(undefined);
    const entryPoints = (config as { entryPoints: string[] }).entryPoints;
    expect(entryPoints).to.deep.equal(subpaths.map((subpath) => sourceOf(subpath).split('\\').join('/')));
  });
});
