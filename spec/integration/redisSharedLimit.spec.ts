import { expect } from 'chai';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import type { RedisRateLimitStoreMetrics } from '../../src/stores/redis/redisRateLimitStore';
import { startRedisServer, type RedisServer } from '../helpers/redisServer';

const root = join(__dirname, '..', '..');
const PROCESSES = 4;
const DURATION = 5000;

interface Report {
  readonly type: 'done';
  readonly admitted: number;
  readonly refused: number;
  readonly failed: number;
  readonly store: RedisRateLimitStoreMetrics;
}

/** The child bundled into one file (esbuild, dependencies left as requires), so it starts in a blink. */
function bundleChild(dir: string): string {
  const outfile = join(dir, 'child.js');
  buildSync({
    entryPoints: [join(__dirname, 'redisSharedLimit.child.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`a child exited (${code}) before it reported`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
}

describe('integration: redisRateLimitStore shared by 4 processes', () => {
  let server: RedisServer;
  let dir: string;
  const children: ChildProcess[] = [];

  before(async () => {
    server = await startRedisServer();
    dir = mkdtempSync(join(tmpdir(), 'rxjs-resilience-shared-'));
  });

  after(async () => {
    for (const child of children) child.kill();
    rmSync(dir, { recursive: true, force: true });
    await server.stop();
  });

  it('should admit within 5% of 1 000 calls in all, 4 processes sharing 200 per second for 5 s', async function () {
    this.timeout(30_000);
    const child = bundleChild(dir);
    const env = { ...process.env, NODE_PATH: join(root, 'node_modules') };
    for (let i = 0; i < PROCESSES; i++) {
      children.push(fork(child, [String(server.port), String(DURATION)], { env, stdio: 'inherit' }));
    }
    await Promise.all(children.map((c) => nextMessage(c)));
    const reports = children.map((c) => nextMessage<Report>(c));
    for (const c of children) c.send('go');
    const done = await Promise.all(reports);

    const admitted = done.reduce((sum, r) => sum + r.admitted, 0);
    // 200 per second for 5 s, plus the burst of 10; 1 000 per second were offered.
    expect(admitted, `admitted ${done.map((r) => r.admitted).join(' + ')}`).to.be.within(950, 1050);
    for (const report of done) {
      expect(report.failed).to.equal(0);
      expect(report.refused).to.be.greaterThan(0);
      expect(report.store).to.include({ fallback: 0, errors: 0, timeouts: 0 });
      expect(report.store.redis).to.equal(report.admitted + report.refused);
    }
  });
});
