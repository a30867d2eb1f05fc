#!/usr/bin/env node
// check:size: what the package adds to a browser bundle. Each entry below is bundled by esbuild as an
// application would (platform browser, minified, tree-shaken, ES modules) from the package as installed;
// its size gzipped (zlib level 6, a web server's usual) must stay under its budget. rxjs is left out
// of the budgeted size, as a peer dependency the application already bundles (size-limit's rule too), and
// printed beside it for reference. Also checked: the bundle takes every module of the package from its
// ES module build (dist/esm: CommonJS cannot be tree-shaken), and loads no Node built-in (esbuild fails
// to resolve one for the browser).
//
// The budgets are the first measurement plus 10 %. A change that needs more raises its budget in the
// same commit, saying why.
//
// Usage: node .ci/check-size.js [--installed <project folder>]
//   default: builds the package's JavaScript (.ci/build.js) into a temporary project and bundles that;
//   --installed: bundles the package installed in that project's node_modules (.ci/pack-check).
'use strict';
const fs = require('fs');
const { tmpdir } = require('os');
const { join, resolve } = require('path');
const zlib = require('zlib');

const ENTRIES = [
  { name: 'timeoutAfter', code: "export { timeoutAfter } from 'rxjs-resilience';", budget: 8421 },
  {
    name: 'resilient + CircuitBreaker',
    code: "export { resilient, ResiliencePipeline, CircuitBreaker } from 'rxjs-resilience';",
    // 17759 B at first; raised for the pipeline's fast paths (issue 12 item 3: execute's direct Promise,
    // attempts that are their own subscribers, operate() without a closure per piping), about +400 B.
    // Raised again for the timer queue's FIFO run (issue 11: O(1) add and remove of deadlines of one
    // limit) and the bulkhead's waiting-call subscriber.
    budget: 18500,
  },
  { name: 'everything (main entry)', code: "export * from 'rxjs-resilience';", budget: 33416 },
  { name: 'testing/marbles', code: "export * from 'rxjs-resilience/testing/marbles';", budget: 9669 },
];
const PEERS = ['rxjs', 'rxjs/*'];

/** The package a metafile input belongs to (`rxjs-resilience` for its own modules), or null. */
function packageOf(input) {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return null;
  const parts = input.slice(at + 'node_modules/'.length).split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

async function bundle(esbuild, project, code, external) {
  const result = await esbuild.build({
    stdin: { contents: code, resolveDir: project, sourcefile: 'entry.js', loader: 'js' },
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    external,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0].contents;
  const [output] = Object.values(result.metafile.outputs);
  const byPackage = {};
  const files = [];
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = packageOf(input);
    if (pkg === null || bytesInOutput === 0) continue;
    byPackage[pkg] = (byPackage[pkg] ?? 0) + bytesInOutput;
    if (pkg === 'rxjs-resilience') files.push(input.slice(input.lastIndexOf('rxjs-resilience/') + 16));
  }
  return { minified: bytes.length, gzipped: zlib.gzipSync(bytes).length, byPackage, files };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

async function main() {
  const esbuild = require('esbuild');
  const args = process.argv.slice(2);
  const at = args.indexOf('--installed');
  let project = at >= 0 ? resolve(args[at + 1]) : null;
  const temporary = project === null;
  if (temporary) {
    project = fs.mkdtempSync(join(tmpdir(), 'check-size-'));
    await require('./build').installBuild(project);
  }
  const problems = [];
  const rows = [];
  try {
    for (const entry of ENTRIES) {
      let ours;
      let withPeers;
      try {
        ours = await bundle(esbuild, project, entry.code, PEERS);
        withPeers = await bundle(esbuild, project, entry.code, []);
      } catch (err) {
        const messages = (err.errors ?? [{ text: String(err) }]).map((e) => e.text).join('; ');
        problems.push(`${entry.name}: does not bundle for the browser: ${messages}`);
        continue;
      }
      const notEsm = ours.files.filter((file) => !file.startsWith('dist/esm/'));
      if (notEsm.length > 0)
        problems.push(`${entry.name}: bundles modules outside dist/esm: ${notEsm.join(', ')}`);
      if (ours.gzipped > entry.budget) {
        problems.push(`${entry.name}: ${ours.gzipped} B gzipped, over its budget of ${entry.budget} B`);
      }
      const parts = Object.entries(ours.byPackage)
        .sort((a, b) => b[1] - a[1])
        .map(([pkg, bytes]) => `${pkg === 'rxjs-resilience' ? 'own' : pkg} ${kb(bytes)}`)
        .join(', ');
      rows.push([
        entry.name,
        kb(ours.minified),
        `${kb(ours.gzipped)} (${ours.gzipped} B)`,
        `${Math.round((100 * ours.gzipped) / entry.budget)} % of ${entry.budget} B`,
        kb(withPeers.gzipped),
        parts,
      ]);
    }
  } finally {
    if (temporary) fs.rmSync(project, { recursive: true, force: true });
  }
  const header = ['bundle', 'minified', 'gzipped', 'budget', '+ rxjs, gzipped', 'minified, by package'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(`check:size: browser bundles (esbuild, minified; rxjs, a peer, outside the budget)`);
  console.log(`  ${line(header)}`);
  for (const row of rows) console.log(`  ${line(row)}`);
  if (problems.length > 0) {
    console.error(`check:size: ${problems.length} problem(s):`);
    for (const p of problems) console.error(`  ${p}`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
