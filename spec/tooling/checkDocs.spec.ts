import { expect } from 'chai';
import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';

const script = join(__dirname, '..', '..', '.ci', 'check-docs.js');

const fence = '```';
/** README.md and a guide under docs/, each line numbered in the comments where it matters. */
const FIXTURE: Record<string, string> = {
  'README.md': [
    '# A library', // 1
    '', // 2
    'As DESIGN.md §2.4 says, see `examples/nowhere.ts`, [the guide](docs/guide.md) and `docs/sub/guide.md`.', // 3
    '', // 4
    `${fence}ts`, // 5
    "import { timeoutAfter } from 'rxjs-resilience';", // 6
    'export const op = timeoutAfter(100);', // 7
    fence, // 8
    '', // 9
    '- Inside a list item:', // 10
    '', // 11
    `  ${fence}ts`, // 12
    "  import { of } from 'rxjs';", // 13
    '  of(1).pipe(timeoutAfter(5));', // 14
    `  ${fence}`, // 15
    '', // 16
    `${fence}ts`, // 17
    '// fragment: continues the first block', // 18
    'op;', // 19
    fence, // 20
    '', // 21
    `${fence}ts`, // 22
    "import { OperatorFunction } from 'rxjs';", // 23
    'export const none: OperatorFunction<number, number> | undefined = undefined;', // 24
    fence, // 25
    '', // 26
    `${fence}text`, // 27
    'not TypeScript at all', // 28
    fence, // 29
  ].join('\n'),
  'docs/sub/guide.md': [
    '# A guide', // 1
    '', // 2
    `${fence}ts`, // 3
    "import { startFaultServer } from 'rxjs-resilience/testing';", // 4
    'const server = await startFaultServer({ seed: 1 });', // 5
    'await server.close();', // 6
    fence, // 7
    '', // 8
    `${fence}typescript`, // 9
    "import { injectFaults } from 'rxjs-resilience';", // 10
    "injectFaults({ fault: 'error', when: '-#' });", // 11
    fence, // 12
  ].join('\n'),
};

describe('check:docs', function () {
  // It builds the package's declarations and runs the TypeScript compiler twice: seconds, not ms.
  this.timeout(60_000);

  let run: { status: number | null; stdout: string; stderr: string };
  before(() => {
    const root = mkdtempSync(join(tmpdir(), 'check-docs-spec-'));
    try {
      for (const [path, content] of Object.entries(FIXTURE)) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), content);
      }
      run = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  /** The problems the check reported, one per line, without the leading spaces. */
  const problems = (): string[] =>
    run.stderr
      .split('\n')
      .filter((l) => l.startsWith('  '))
      .map((l) => l.trim());

  it('should fail, counting every problem', () => {
    expect(run.status, run.stdout + run.stderr).to.equal(1);
    expect(run.stderr).to.match(/^check:docs: \d+ problem\(s\) in the documents or the declarations:/);
  });

  it('should report each type error at its line of the markdown file, indented blocks included', () => {
    expect(problems()).to.include("README.md:14:14 TS2304: Cannot find name 'timeoutAfter'. (ESM, CommonJS)");
    // A message on several lines ends with the projects that saw it.
    expect(problems().filter((p) => p.startsWith('docs/sub/guide.md:11:'))).to.have.length(1);
    expect(run.stderr).to.match(
      /\n {2}docs\/sub\/guide\.md:11:14 TS2345: Argument of type '\{ fault: "error"; when: string; \}'[^]*?\(ESM, CommonJS\)\n/,
    );
  });

  it('should compile as the strict TypeScript 6 project of tsc --init, as ESM and as CommonJS', () => {
    // verbatimModuleSyntax (ESM only): a type imported without `type`.
    expect(problems().filter((p) => p.startsWith('README.md:23:'))).to.deep.equal([
      "README.md:23:10 TS1484: 'OperatorFunction' is a type and must be imported using a type-only import when 'verbatimModuleSyntax' is enabled. (ESM)",
    ]);
    // Top-level await: fine in an ES module, an error in CommonJS.
    const awaits = problems().filter((p) => p.includes('TS1309'));
    expect(awaits.map((p) => p.split(' ')[0])).to.deep.equal([
      'docs/sub/guide.md:5:16',
      'docs/sub/guide.md:6:1',
    ]);
    expect(awaits.every((p) => p.endsWith('(CommonJS)'))).to.equal(true);
  });

  it('should pass a block that compiles, and list a block marked as a fragment instead of compiling it', () => {
    expect(problems().filter((p) => /^README\.md:(6|7|19):/.test(p))).to.deep.equal([]);
    expect(run.stdout).to.contain(
      'check:docs: 1 block(s) marked as fragments, not compiled:\n  README.md:17 (// fragment: continues the first block)',
    );
  });

  it('should report every cited file that is not in the repository', () => {
    expect(problems().filter((p) => p.includes('cites'))).to.deep.equal([
      'README.md:3: cites docs/guide.md, which is not in the repository',
      'README.md:3: cites examples/nowhere.ts, which is not in the repository',
      'README.md:3: cites DESIGN.md, which is not in the repository',
    ]);
  });
});
