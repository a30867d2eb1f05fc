import { expect } from 'chai';
import { readFileSync } from 'fs';
import Module from 'module';
import { join } from 'path';
import * as ts from 'typescript';

const root = join(__dirname, '..', '..');
const guide = readFileSync(join(root, 'docs', 'packaging.md'), 'utf8');

/** Runs a TypeScript block of the guide with the package's imports pointed at src/. */
function run(code: string): void {
  const source = code
    .replace(/'rxjs-resilience\/testing\/marbles'/g, JSON.stringify(join(root, 'src', 'testing', 'marbles')))
    .replace(/'rxjs-resilience'/g, JSON.stringify(join(root, 'src', 'index')));
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  const file = join(root, 'docs', 'packaging.example.js');
  const module = new Module(file);
  module.filename = file;
  module.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(root);
  (module as unknown as { _compile(code: string, file: string): void })._compile(outputText, file);
}

describe('docs/packaging.md', () => {
  it('should show a browser marble test that passes (its timeline checks itself)', () => {
    const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks).to.have.length(1);
    expect(() => run(blocks[0]!)).not.to.throw();
    // and fails when the timeline is not the one the breaker goes through
    expect(() => run(blocks[0]!.replace("toBe('c--o----h---c')", "toBe('c--o---h----c')"))).to.throw(
      'stateTimeline: the recorded timeline differs from the expected one',
    );
  });

  it('should show the size budgets .ci/check-size.js holds', () => {
    const script = readFileSync(join(root, '.ci', 'check-size.js'), 'utf8');
    const budgets = [...script.matchAll(/budget: (\d+)/g)].map((m) => `${m[1]} B`);
    const shown = [...guide.matchAll(/^\| [^|]+\| [^|]+\| [^|]+\| (\d+ B) +\|/gm)].map((m) => m[1]);
    expect(shown).to.deep.equal(budgets);
  });
});
