#!/usr/bin/env node
// Makes sure the Debian packages the specs run are installed, so that `npm test` works as the first
// command on a fresh clone: Debian's chromium (the HTML report's browser spec, through playwright-core)
// and redis-server (the Redis store's specs). Missing ones are installed with `apt-get install -y` when
// running as root on Debian (as in CI); otherwise it stops with the one command that installs them.
// Nothing comes from anywhere but the machine's own package archive. Run by `pretest` and by .ci/run.
'use strict';
const { existsSync } = require('fs');
const { spawnSync } = require('child_process');

/** Each Debian package the specs need, and the file the specs run from it. */
const PACKAGES = {
  chromium: '/usr/bin/chromium',
  'redis-server': '/usr/bin/redis-server',
};

/**
 * What to do: nothing (`ok`), install the missing packages (`install`, as root with apt-get), or stop
 * and print the command (`stop`).
 */
function plan(packages, { exists, isRoot, hasAptGet }) {
  const missing = Object.keys(packages).filter((name) => !exists(packages[name]));
  if (missing.length === 0) return { action: 'ok', missing };
  const args = ['install', '-y', ...missing];
  if (isRoot && hasAptGet) return { action: 'install', missing, args };
  return { action: 'stop', missing, command: `sudo apt-get ${args.join(' ')}` };
}

function main() {
  const todo = plan(PACKAGES, {
    exists: existsSync,
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    hasAptGet: existsSync('/usr/bin/apt-get'),
  });
  if (todo.action === 'ok') return 0;
  if (todo.action === 'stop') {
    console.error(
      `The specs need these Debian packages, which are missing: ${todo.missing.join(', ')}.\n` +
        `Install them with:\n\n  ${todo.command}\n`,
    );
    return 1;
  }
  console.log(`Installing ${todo.missing.join(', ')} from Debian (apt-get ${todo.args.join(' ')})...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', todo.args, { stdio: 'inherit', env }).status;
  // A fresh machine may not have its package lists yet: fetch them once, then try again.
  if (install() !== 0 && spawnSync('apt-get', ['update'], { stdio: 'inherit', env }).status === 0) install();
  const still = plan(PACKAGES, { exists: existsSync, isRoot: false, hasAptGet: false });
  if (still.action !== 'ok') {
    console.error(`apt-get did not install ${still.missing.join(', ')}; try: ${still.command}`);
    return 1;
  }
  return 0;
}

module.exports = { PACKAGES, plan };

if (require.main === module) process.exitCode = main();
