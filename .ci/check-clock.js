#!/usr/bin/env node
// Fails when policy code in src/ reads the wall clock, schedules on real timers or calls
// Math.random: time must come from the scheduler and chance from an injectable `random`.
// The test kit (src/testing/) and fetch adapters are the edges that may touch real time, and so is the
// one unref'd timer with which telemetry notices an OpenTelemetry SDK registered late
// (src/otel/watchGlobalProvider.ts: it never touches a policy).
'use strict';
const { readdirSync, readFileSync, statSync } = require('fs');
const { join, relative, sep } = require('path');

// The folder to check is the repository root, or the first argument (the spec points it at fixtures).
const root = process.argv[2] ?? join(__dirname, '..');
const forbidden = /\b(Date\.now|setTimeout|setInterval|setImmediate|performance\.now|Math\.random)\s*\(/;
const exempt = (file) =>
  file.startsWith(`src${sep}testing${sep}`) ||
  /fetch|adapter/i.test(file) ||
  file === join('src', 'otel', 'watchGlobalProvider.ts');

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

const offences = [];
for (const path of walk(join(root, 'src'))) {
  const file = relative(root, path);
  if (exempt(file)) continue;
  let inBlockComment = false;
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      let code = line;
      if (inBlockComment) {
        const end = code.indexOf('*/');
        if (end < 0) return;
        code = code.slice(end + 2);
        inBlockComment = false;
      }
      code = code.replace(/\/\*.*?\*\//g, '').replace(/\/\/.*$/, '');
      const start = code.indexOf('/*');
      if (start >= 0) {
        code = code.slice(0, start);
        inBlockComment = true;
      }
      if (forbidden.test(code)) offences.push(`${file}:${i + 1}: ${line.trim()}`);
    });
}
if (offences.length > 0) {
  console.error('Policy code must take time from the scheduler and chance from an injectable `random`:');
  for (const o of offences) console.error(`  ${o}`);
  process.exit(1);
}
console.log('check:clock: no wall-clock or Math.random calls in policy code');
