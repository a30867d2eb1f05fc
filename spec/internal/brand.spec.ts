import { expect } from 'chai';
import { readFileSync, readdirSync } from 'fs';
import { join, relative } from 'path';
import { CircuitBreaker } from '../../src/breaker/CircuitBreaker';
import { RetryBudget } from '../../src/budget/RetryBudget';
import { Bulkhead } from '../../src/bulkhead/Bulkhead';
import * as lib from '../../src/index';
import {
  isBulkhead,
  isCircuitBreaker,
  isPolicyRegistry,
  isRateLimiter,
  isResiliencePipeline,
  isRetryBudget,
} from '../../src/internal/brand';
import { RateLimiter } from '../../src/limiter/RateLimiter';
import { ResiliencePipeline } from '../../src/pipeline/ResiliencePipeline';
import { PolicyRegistry } from '../../src/registry/PolicyRegistry';

const src = join(__dirname, '..', '..', 'src');

describe('brand guards (isCircuitBreaker, isBulkhead, ...)', () => {
  type Ctor = new (...args: unknown[]) => object;
  const bulkheadConfig = { maxConcurrent: 1 };
  /** Each guard, its class and the arguments of one instance. */
  const policies: ReadonlyArray<readonly [string, (value: unknown) => boolean, Ctor, unknown[]]> = [
    ['CircuitBreaker', isCircuitBreaker, CircuitBreaker as Ctor, []],
    ['Bulkhead', isBulkhead, Bulkhead as Ctor, [bulkheadConfig]],
    ['RateLimiter', isRateLimiter, RateLimiter as Ctor, [{ limit: 1, interval: 1000 }]],
    ['RetryBudget', isRetryBudget, RetryBudget as Ctor, []],
    ['ResiliencePipeline', isResiliencePipeline, ResiliencePipeline as Ctor, []],
    [
      'PolicyRegistry',
      isPolicyRegistry,
      PolicyRegistry as Ctor,
      [{ create: () => new Bulkhead(bulkheadConfig) }],
    ],
  ];

  it('should accept an instance of its class and of a subclass, and nothing else', () => {
    const all = policies.map(([, , Class, args]) => new Class(...args));
    for (const [name, guard, Class, args] of policies) {
      expect(all.map(guard), name).to.deep.equal(all.map((policy) => policy instanceof Class));
      expect(guard(new (class extends Class {})(...args)), `${name} subclass`).to.equal(true);
      // Its fields copied to a plain object: not a policy.
      expect(guard({ ...new Class(...args) }), `${name} look-alike`).to.equal(false);
      expect([null, undefined, 1, 'x', () => undefined].map(guard), name).to.deep.equal([
        false,
        false,
        false,
        false,
        false,
      ]);
    }
  });

  it('should mark the prototype, not each instance', () => {
    const breaker = new CircuitBreaker();
    expect(Object.getOwnPropertySymbols(breaker)).to.deep.equal([]);
    expect(Object.getOwnPropertySymbols(CircuitBreaker.prototype).map(String)).to.deep.equal([
      'Symbol(rxjs-resilience/CircuitBreaker@1)',
    ]);
  });

  // The package's ES module and CommonJS builds are two copies in one process: a check by `instanceof`
  // of one of its classes fails for the other copy's objects (spec/tooling/build.spec.ts shows it).
  it('should find no instanceof check against a class of the package in src/', () => {
    const classes = Object.entries(lib)
      .filter(
        ([, value]) =>
          typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value)),
      )
      .map(([name]) => name);
    expect(classes).to.include.members(['CircuitBreaker', 'ResilienceError', 'TimeoutExceededError']);
    const pattern = new RegExp(`\\binstanceof\\s+(${classes.join('|')})\\b`);
    const offences: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts')) {
          readFileSync(path, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              const code = line.replace(/\/\/.*$/, '');
              if (!/^\s*\*/.test(code) && pattern.test(code))
                offences.push(`${relative(src, path)}:${i + 1}: ${line.trim()}`);
            });
        }
      }
    };
    walk(src);
    expect(offences).to.deep.equal([]);
  });
});
