#!/usr/bin/env node
// Installs dependencies from the lockfile when they are missing or out of date, so that
// `npm start` and `npm test` work as the first command typed on a fresh clone.
'use strict';
const { createHash } = require('crypto');
const { existsSync, readFileSync, writeFileSync } = require('fs');
const { join } = require('path');
const { execSync } = require('child_process');

const root = join(__dirname, '..');
const lock = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.rxjs-resilience-lock');
const hash = createHash('sha256').update(readFileSync(lock)).digest('hex');
const current = existsSync(stamp) ? readFileSync(stamp, 'utf8') : '';
if (current !== hash) {
  console.log('Installing dependencies from package-lock.json (npm ci)...');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
  writeFileSync(stamp, hash);
}
