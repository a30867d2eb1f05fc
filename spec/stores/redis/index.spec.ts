import { expect } from 'chai';
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import * as redis from '../../../src/stores/redis/index';

const root = join(__dirname, '..', '..', '..');

/** The ioredis modules a fresh node process has loaded after requiring each of `entries` in turn. */
function ioredisLoadedBy(entries: string[]): string[][] {
  const script = `
    const seen = [];
    for (const entry of ${JSON.stringify(entries.map((entry) => join(root, entry)))}) {
      require(entry);
      seen.push(Object.keys(require.cache).filter((file) => file.includes('node_modules/ioredis/')));
    }
    process.stdout.write(JSON.stringify(seen));
  `;
  const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[][];
}

describe('rxjs-resilience/redis', () => {
  it('should export redisRateLimitStore and nothing else at run time', () => {
    expect(Object.keys(redis)).to.deep.equal(['redisRateLimitStore']);
  });

  it('should never load ioredis: not from the core, the testing kit, nor itself (the client is the user’s)', function () {
    this.timeout(30_000); // a fresh node process with ts-node
    const [core, testing, redisEntry] = ioredisLoadedBy([
      'src/index.ts',
      'src/testing/index.ts',
      'src/stores/redis/index.ts',
    ]);
    expect(core).to.deep.equal([]);
    expect(testing).to.deep.equal([]);
    expect(redisEntry).to.deep.equal([]);
  });

  it('should be mapped in package.json exports for both builds with their types, as ./otel is', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    expect(pkg.exports['./redis']).to.deep.equal({
      import: { types: './dist/esm/stores/redis/index.d.ts', default: './dist/esm/stores/redis/index.js' },
      require: { types: './dist/cjs/stores/redis/index.d.ts', default: './dist/cjs/stores/redis/index.js' },
    });
  });
});
