import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const read = (file: string): string => readFileSync(join(root, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  version: string;
  license: string;
  scripts: Record<string, string>;
  files: string[];
};

/** The text of the README section under `heading`, up to the next heading of the same level. */
function section(heading: string): string {
  const readme = read('README.md');
  const start = readme.indexOf(`\n${heading}\n`);
  expect(start, heading).to.be.at.least(0);
  const level = heading.split(' ')[0]!;
  const end = readme.indexOf(`\n${level} `, start + heading.length + 2);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('README.md', () => {
  it('should say how to install before the first release: the tarball npm pack writes', () => {
    const install = section('## Install');
    expect(install).to.contain('Not on the npm registry yet');
    expect(install).to.contain('npm pack');
    // The name npm pack gives the tarball of this version.
    expect(install).to.contain(`npm install /path/to/rxjs-resilience-${pkg.version}.tgz rxjs`);
    // npm pack builds dist/ first; a git dependency would run only `prepare`, which the README says.
    expect(pkg.scripts['prepack']).to.equal('npm run build');
    expect(pkg.scripts['prepare']).to.equal(undefined);
    expect(install).to.contain('npm builds a git dependency with its `prepare`');
    const after = install.indexOf('After the first release');
    expect(after).to.be.above(0);
    expect(install.slice(after)).to.contain('npm install rxjs-resilience rxjs');
  });

  it('should say which cited paths the package does not ship', () => {
    expect(pkg.files).to.deep.equal(['dist', 'src']);
    expect(section('## Install').replace(/\s+/g, ' ')).to.contain(
      'the other paths this README cites (`examples/`, `spec/`, `bench/`, `docs/`) are in the repository only',
    );
  });

  it('should set shouldRetry or isFailure only where the defaults are not enough', () => {
    const blocks = (text: string): string[] => [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const documents = [
      'README.md',
      ...readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ];
    for (const file of documents) {
      for (const block of blocks(read(file))) {
        // isTransient is the default of both: setting it again only hides which calls need another rule.
        expect(block, file).not.to.match(/(shouldRetry|isFailure):\s*isTransient\b/);
      }
    }
    const quickStart = blocks(section('### A resilient call in one pipeline'))[0];
    expect(quickStart).not.to.match(/shouldRetry|isFailure/);
  });

  it('should say that the first npm start installs dependencies, as its prestart script does', () => {
    const start = section('## Run the demo, the tests and the benchmarks')
      .split('\n')
      .find((line) => line.startsWith('npm start'));
    expect(start).to.contain('the first run installs dependencies first');
    expect(pkg.scripts['prestart']).to.contain('.ci/ensure-deps.js');
  });
});

describe('LICENSE and CHANGELOG.md', () => {
  it('should license the package under MIT, as package.json says', () => {
    expect(pkg.license).to.equal('MIT');
    expect(read('LICENSE').split('\n')[0]).to.equal('MIT License');
  });

  it('should keep an Unreleased section above the current version', () => {
    expect(existsSync(join(root, 'CHANGELOG.md'))).to.equal(true);
    const headings = read('CHANGELOG.md')
      .split('\n')
      .filter((line) => line.startsWith('## '));
    expect(headings.slice(0, 2)).to.deep.equal(['## Unreleased', `## ${pkg.version}`]);
  });
});
