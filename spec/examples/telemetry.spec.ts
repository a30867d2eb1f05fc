import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** The top-level objects the console exporters printed (util.inspect text), and the other lines. */
function blocks(stdout: string): { objects: string[]; lines: string[] } {
  const objects: string[] = [];
  const lines: string[] = [];
  let current: string[] | null = null;
  for (const line of stdout.split('\n')) {
    if (current === null && line === '{') current = [line];
    else if (current !== null) {
      current.push(line);
      if (line === '}') {
        objects.push(current.join('\n'));
        current = null;
      }
    } else if (line !== '') lines.push(line);
  }
  return { objects, lines };
}

/** The `key: '<value>'` of a printed object, at `depth` (1: a top-level field). */
const field = (object: string, key: string, depth = 1): string | undefined =>
  new RegExp(`\\n {${2 * depth}}${key}: '([^']*)'`).exec(object)?.[1];

/** A metric's printed data points: attribute lines (joined) and value. */
function points(metric: string): Array<{ attributes: string; value: string }> {
  const found: Array<{ attributes: string; value: string }> = [];
  const point = /attributes: \{([^}]*)\},[\s\S]*?value: (\d+(?:\.\d+)?|\{)/g;
  for (let m = point.exec(metric); m !== null; m = point.exec(metric)) {
    found.push({ attributes: m[1]!.replace(/\s+/g, ' ').trim(), value: m[2]! });
  }
  return found;
}

describe('examples/telemetry', function () {
  // A fresh node process with ts-node, a fault server on 127.0.0.1 and real retries.
  this.timeout(30_000);
  let code: number | null;
  let objects: string[];
  let lines: string[];

  before(async () => {
    const root = join(__dirname, '..', '..');
    const tsNode = join(root, 'node_modules', 'ts-node', 'dist', 'bin.js');
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [tsNode, '--transpile-only', 'examples/telemetry.ts'],
        { cwd: root, timeout: 25_000, maxBuffer: 16 * 1024 * 1024 },
        (_error, stdout) => resolve({ code: child.exitCode, stdout }),
      );
    });
    code = out.code;
    ({ objects, lines } = blocks(out.stdout));
  });

  it('should run as `npm run example:telemetry` does and exit by itself with code 0', () => {
    expect(code).to.equal(0);
    expect(lines).to.deep.equal(['requests the dependency got: 4']);
  });

  it("should print one span per call, each a child of the caller's checkout span, with an event per attempt", () => {
    const spans = objects.filter((o) => o.includes('\n  traceId: '));
    const checkout = spans.find((s) => field(s, 'name') === 'checkout')!;
    const calls = spans.filter((s) => field(s, 'name') === 'pipeline users');
    expect(calls).to.have.length(3);
    expect(field(checkout, 'id')).to.match(/^[0-9a-f]{16}$/);
    for (const call of calls) expect(field(call, 'spanId', 2), 'parent').to.equal(field(checkout, 'id'));
    expect(calls.map((c) => c.split("name: 'rxjs_resilience.attempt'").length - 1)).to.deep.equal([3, 1, 0]);
    expect(calls.map((c) => /'error.type': '(\w+)'\n {2}\}/.exec(c)?.[1])).to.deep.equal([
      'HttpStatusError',
      'CircuitOpenError',
      'CircuitOpenError',
    ]);
  });

  it('should print the breaker open: state, transition and refusals, beside the durations', () => {
    const metric = (name: string) =>
      objects.find((o) => o.includes('\n  descriptor: {') && field(o, 'name', 2) === name)!;
    const state = "'rxjs_resilience.circuit_breaker.state'";
    expect(points(metric('rxjs_resilience.circuit_breaker.state'))).to.deep.equal(
      ['closed', 'open', 'halfOpen', 'isolated'].map((s) => ({
        attributes: `'rxjs_resilience.policy.name': 'users', ${state}: '${s}'`,
        value: s === 'open' ? '1' : '0',
      })),
    );
    expect(points(metric('rxjs_resilience.circuit_breaker.transitions'))).to.deep.equal([
      {
        attributes: `'rxjs_resilience.policy.name': 'users', ${state}: 'open', 'rxjs_resilience.circuit_breaker.previous_state': 'closed'`,
        value: '1',
      },
    ]);
    expect(points(metric('rxjs_resilience.circuit_breaker.refusals'))).to.deep.equal([
      { attributes: `'rxjs_resilience.policy.name': 'users', ${state}: 'open'`, value: '2' },
    ]);
    expect(metric('rxjs_resilience.pipeline.call.duration')).to.include("unit: 's'");
    expect(metric('rxjs_resilience.pipeline.attempt.duration')).to.include('count: 4');
  });
});
