import { expect } from 'chai';
import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';

const script = join(__dirname, '..', '..', '.ci', 'check-clock.js');

/** Runs the check over a fixture tree of `files` (path -> content) and returns its exit code and output. */
function check(files: Record<string, string>): { status: number | null; output: string } {
  const root = mkdtempSync(join(tmpdir(), 'check-clock-'));
  try {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    const run = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
    return { status: run.status, output: run.stdout + run.stderr };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('check:clock', () => {
  it('should pass on the real src/', () => {
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(run.status, run.stderr).to.equal(0);
  });

  for (const call of [
    'Date.now()',
    'setTimeout(f, 1)',
    'setInterval(f, 1)',
    'performance.now()',
    'Math.random()',
  ]) {
    it(`should fail when policy code calls ${call}`, () => {
      const { status, output } = check({ 'src/operators/x.ts': `export const x = () => ${call};\n` });
      expect(status).to.equal(1);
      expect(output).to.contain('src/operators/x.ts:1');
    });
  }

  it('should allow comments, Math.random passed as a default, the test kit and fetch adapters', () => {
    const { status } = check({
      'src/operators/a.ts':
        '// Date.now() is never called here\n/* setTimeout(f) */\nexport const r = Math.random;\n',
      'src/operators/b.ts': '/**\n * setInterval(f, 1)\n */\nexport const b = 1;\n',
      'src/testing/server.ts': 'export const t = setTimeout(() => undefined, 1);\n',
      'src/adapters/fetchRequest.ts': 'export const now = Date.now();\n',
      'src/otel/watchGlobalProvider.ts': 'export const t = setInterval(() => undefined, 500);\n',
    });
    expect(status).to.equal(0);
  });

  it('should exempt only the telemetry watcher by name, not the rest of src/otel', () => {
    const { status, output } = check({ 'src/otel/Telemetry.ts': 'export const t = setInterval(f, 500);\n' });
    expect(status).to.equal(1);
    expect(output).to.contain('src/otel/Telemetry.ts:1');
  });
});
