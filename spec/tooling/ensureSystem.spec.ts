import { expect } from 'chai';
import { spawnSync } from 'child_process';
import { join } from 'path';

const script = join(__dirname, '..', '..', '.ci', 'ensure-system.js');

interface Plan {
  readonly action: 'ok' | 'install' | 'stop';
  readonly missing: string[];
  readonly args?: string[];
  readonly command?: string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PACKAGES, plan } = require(script) as {
  PACKAGES: Record<string, string>;
  plan: (
    packages: Record<string, string>,
    system: { exists: (path: string) => boolean; isRoot: boolean; hasAptGet: boolean },
  ) => Plan;
};

describe('ensure-system', () => {
  const only = (present: ReadonlyArray<string>) => (path: string) => present.includes(path);

  it('should ask for Debian chromium and redis-server, by the files the specs run', () => {
    expect(PACKAGES).to.deep.equal({
      chromium: '/usr/bin/chromium',
      'redis-server': '/usr/bin/redis-server',
    });
  });

  it('should do nothing when every package is there', () => {
    const all = only(['/usr/bin/chromium', '/usr/bin/redis-server']);
    expect(plan(PACKAGES, { exists: all, isRoot: false, hasAptGet: false })).to.deep.equal({
      action: 'ok',
      missing: [],
    });
  });

  it('should install what is missing with apt-get when root', () => {
    const some = only(['/usr/bin/redis-server']);
    expect(plan(PACKAGES, { exists: some, isRoot: true, hasAptGet: true })).to.deep.equal({
      action: 'install',
      missing: ['chromium'],
      args: ['install', '-y', 'chromium'],
    });
  });

  it('should stop with the one command that installs them otherwise', () => {
    const none = only([]);
    const command = 'sudo apt-get install -y chromium redis-server';
    expect(plan(PACKAGES, { exists: none, isRoot: false, hasAptGet: true })).to.deep.equal({
      action: 'stop',
      missing: ['chromium', 'redis-server'],
      command,
    });
    expect(plan(PACKAGES, { exists: none, isRoot: true, hasAptGet: false }).command).to.equal(command);
  });

  it('should pass on this machine, where pretest has run it', () => {
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(run.status, run.stderr).to.equal(0);
  });
});
