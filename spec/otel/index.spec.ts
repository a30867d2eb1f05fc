import { expect } from 'chai';
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import * as otel from '../../src/otel/index';

const root = join(__dirname, '..', '..');

/**
 * The @opentelemetry modules a fresh node process has loaded after requiring each of `entries` in turn
 * (one list per entry, cumulative).
 */
function openTelemetryLoadedBy(entries: string[]): string[][] {
  const script = `
    const seen = [];
    for (const entry of ${JSON.stringify(entries.map((entry) => join(root, entry)))}) {
      require(entry);
      const loaded = Object.keys(require.cache).filter((file) => file.includes('@opentelemetry'));
      seen.push(loaded.map((file) => file.slice(file.indexOf('@opentelemetry'))));
    }
    process.stdout.write(JSON.stringify(seen));
  `;
  const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[][];
}

describe('rxjs-resilience/otel', () => {
  it('should export instrument and nothing else at run time', () => {
    expect(Object.keys(otel)).to.deep.equal(['instrument']);
  });

  it('should be the only entry that loads @opentelemetry/api: the core never requires it', function () {
    this.timeout(30_000); // a fresh node process with ts-node
    const [core, testing, otelEntry] = openTelemetryLoadedBy([
      'src/index.ts',
      'src/testing/index.ts',
      'src/otel/index.ts',
    ]);
    expect(core).to.deep.equal([]);
    expect(testing).to.deep.equal([]);
    expect(otelEntry).to.include('@opentelemetry/api/dist/index.cjs');
  });

  it('should be mapped in package.json exports with its types, as ./testing is', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    expect(pkg.exports['./otel']).to.deep.equal({
      import: { types: './dist/esm/otel/index.d.ts', default: './dist/esm/otel/index.js' },
      require: { types: './dist/cjs/otel/index.d.ts', default: './dist/cjs/otel/index.js' },
    });
  });
});
