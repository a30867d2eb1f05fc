import { expect } from 'chai';
import { readFileSync } from 'fs';
import { join } from 'path';
import * as attributes from '../../src/otel/attributes';
import { INSTRUMENTS } from '../../src/otel/instruments';

describe('INSTRUMENTS', () => {
  const names = Object.values(INSTRUMENTS).map((spec) => spec.name);

  it('should follow OpenTelemetry naming: lowercase, dot-separated, under rxjs_resilience, seconds for durations', () => {
    for (const spec of Object.values(INSTRUMENTS)) {
      expect(spec.name, spec.name).to.match(/^rxjs_resilience(\.[a-z][a-z_]*)+$/);
      expect(spec.name.endsWith('.duration'), spec.name).to.equal(spec.unit === 's');
    }
    expect(new Set(names).size).to.equal(names.length);
  });

  it('should be exactly the metrics docs/telemetry.md names', () => {
    const docs = readFileSync(join(__dirname, '..', '..', 'docs', 'telemetry.md'), 'utf8');
    const documented = new Set(
      Array.from(docs.matchAll(/`(rxjs_resilience\.[a-z_.]+)`/g), (m) => m[1]!).filter((name) =>
        /^rxjs_resilience\.(pipeline|circuit_breaker|bulkhead|rate_limiter|retry_budget)\.[a-z_.]+$/.test(
          name,
        ),
      ),
    );
    // Attribute keys (`rxjs_resilience.circuit_breaker.state` is both an attribute and a metric).
    const attributeKeys = new Set<string>(Object.values(attributes));
    expect(
      names.filter((name) => !documented.has(name)),
      'undocumented metrics',
    ).to.deep.equal([]);
    expect(
      [...documented].filter((name) => !names.includes(name) && !attributeKeys.has(name)),
      'documented names that are no metric',
    ).to.deep.equal([]);
  });
});
