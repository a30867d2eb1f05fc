#!/usr/bin/env node
// Checks what README.md and docs/**/*.md show a user:
// 1. every `ts` block compiles as shown, the way a user's project compiles it: against the package's
//    built declarations (tsconfig.build.json, so with `@internal` members stripped), in the project
//    `tsc --init` gives in TypeScript 6 (strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess,
//    verbatimModuleSyntax, module nodenext) as an ES module, and in the same project as CommonJS;
// 2. the declarations themselves: no `@internal` declaration left, no type error;
// 3. every file the documents cite (a relative link or image, a `src/...`-style path in code, a name
//    such as CHANGELOG.md in the text) is in the repository.
//
// A `ts` block that is deliberately not a whole program says so on its first line, visibly:
//   // fragment: <why it cannot compile on its own>
// It is then listed, not compiled. Every other `ts` block must compile as shown.
//
// Usage: node .ci/check-docs.js [folder holding README.md and docs/] [--keep]
// (the spec points it at fixtures; --keep leaves the generated projects in place and prints where).
'use strict';
const ts = require('typescript');
const fs = require('fs');
const { tmpdir } = require('os');
const { dirname, join, relative, sep } = require('path');

const repo = join(__dirname, '..');
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const docsRoot = args.find((a) => !a.startsWith('--')) ?? repo;
const FRAGMENT = /^\s*\/\/\s*fragment:/i;

/** The compiler options of `tsc --init` in TypeScript 6, plus the types a Node test project loads. */
const INIT_OPTIONS = {
  module: 'nodenext',
  target: 'esnext',
  // `tsc --init` writes `"types": []` and suggests `["node"]` for Node; a mocha project adds "mocha".
  types: ['node', 'mocha'],
  sourceMap: true,
  declaration: true,
  declarationMap: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  strict: true,
  jsx: 'react-jsx',
  verbatimModuleSyntax: true,
  isolatedModules: true,
  noUncheckedSideEffectImports: true,
  moduleDetection: 'force',
  skipLibCheck: true,
};
/** CommonJS cannot use import syntax under verbatimModuleSyntax, so a CommonJS project turns it off. */
const CONSUMERS = [
  { name: 'ESM', dir: 'esm', type: 'module', options: INIT_OPTIONS },
  {
    name: 'CommonJS',
    dir: 'cjs',
    type: 'commonjs',
    options: { ...INIT_OPTIONS, verbatimModuleSyntax: false },
  },
];

/** Markdown files to read: README.md and every .md under docs/, in a stable order. */
function markdownFiles(root) {
  const files = [];
  if (fs.existsSync(join(root, 'README.md'))) files.push('README.md');
  const walk = (dir) => {
    const entries = fs.readdirSync(join(root, dir), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  if (fs.existsSync(join(root, 'docs'))) walk('docs');
  return files;
}

/**
 * Splits a markdown text into fenced code blocks (`{ lang, line, code }`, `line` the 1-based line of the
 * first line of code) and the lines of prose (`{ line, text }`). Fences may be indented (inside list
 * items): the fence's indentation is removed from each line. An unclosed fence runs to the end of the
 * file, as in CommonMark.
 */
function parseMarkdown(text) {
  const lines = text.split('\n');
  const blocks = [];
  const prose = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]);
    if (!open) {
      prose.push({ line: i + 1, text: lines[i] });
      continue;
    }
    const [, indent, fence, lang] = open;
    const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    const code = [];
    let j = i + 1;
    for (; j < lines.length && !close.test(lines[j]); j++) {
      code.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart());
    }
    blocks.push({
      lang: lang.toLowerCase(),
      line: i + 2,
      indent: indent.length,
      code: code.join('\n') + '\n',
    });
    i = j;
  }
  return { blocks, prose };
}

/** The files a line of prose cites: relative links and images, repository paths in code, *.md names. */
function citations(text) {
  const cited = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    if (!/^([a-z]+:|#)/i.test(target)) cited.push({ path: target.replace(/#.*$/, ''), relativeToFile: true });
  }
  const withoutLinks = text.replace(/\]\([^)]*\)/g, ']');
  for (const [, code] of withoutLinks.matchAll(/`([^`]+)`/g)) {
    for (const word of code.split(/\s+/)) {
      if (/^(\.\/)?(src|spec|examples|bench|docs|\.ci)\/[\w./-]*$/.test(word)) {
        cited.push({ path: word, relativeToFile: false });
      }
    }
  }
  const prose = withoutLinks.replace(/`[^`]*`/g, '');
  for (const [, name] of prose.matchAll(/(?<![\w/.:-])([\w-][\w./-]*\.md)\b/g)) {
    cited.push({ path: name, relativeToFile: false });
  }
  return cited;
}

/**
 * Builds the declarations as `npm run build` does (.ci/build.js: tsconfig.build.json, into `outDir`/esm
 * and `outDir`/cjs); returns the paths of those under `outDir`/esm and any error.
 */
function buildDeclarations(outDir) {
  // `npm run typecheck` has type-checked src/ already.
  return require('./build').buildDeclarations(outDir, { declarationMap: false, typeCheck: false });
}

function fail(diagnostics) {
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => repo, getNewLine: () => '\n' };
  console.error(ts.formatDiagnostics(diagnostics, host));
  process.exit(1);
}

/** The package as a user installs it, in `work`: its package.json and declarations, next to the
 * repository's dependencies (symlinked, so rxjs is one instance). Returns the declaration files. */
function installPackage(work, problems) {
  const modules = join(work, 'node_modules');
  fs.mkdirSync(modules);
  for (const name of fs.readdirSync(join(repo, 'node_modules'))) {
    if (name.startsWith('.') || name === 'rxjs-resilience') continue;
    fs.symlinkSync(join(repo, 'node_modules', name), join(modules, name), 'dir');
  }
  const pkg = join(modules, 'rxjs-resilience');
  const built = buildDeclarations(join(pkg, 'dist'));
  if (built.diagnostics.length > 0) fail(built.diagnostics);
  fs.writeFileSync(join(pkg, 'package.json'), fs.readFileSync(join(repo, 'package.json')));
  for (const file of built.files) {
    fs.readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.includes('@internal')) {
          problems.push(
            `${relative(pkg, file)}:${i + 1}: an @internal declaration is published: ${line.trim()}`,
          );
        }
      });
  }
  return built.files;
}

/** Type-checks `blocks` in each consumer project; pushes each error once, with the projects that saw it. */
function compileBlocks(work, blocks, declarations, problems) {
  const seenBy = new Map();
  for (const consumer of CONSUMERS) {
    const dir = join(work, consumer.dir);
    fs.mkdirSync(dir);
    fs.writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: `docs-${consumer.dir}`, type: consumer.type }),
    );
    const json = { ...consumer.options, noEmit: true };
    fs.writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: json }, null, 2));
    const byPath = new Map();
    for (const block of blocks) {
      const path = join(dir, block.name);
      fs.writeFileSync(path, block.code);
      byPath.set(path, block);
    }
    const { options, errors } = ts.convertCompilerOptionsFromJson(json, dir);
    if (errors.length > 0) fail(errors);
    // Only the blocks (and, once, our declarations) are checked, so skipLibCheck can be off: an error in
    // our declarations is not hidden, and rxjs's are not checked at all.
    const checked = [...byPath.keys(), ...(consumer === CONSUMERS[0] ? declarations : [])];
    const program = ts.createProgram(checked, { ...options, skipLibCheck: false });
    const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
    for (const file of checked) {
      const source = program.getSourceFile(file);
      diagnostics.push(...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source));
    }
    for (const d of diagnostics) {
      const message = `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n    ')}`;
      const block = d.file && byPath.get(d.file.fileName);
      const { line, character } = d.file?.getLineAndCharacterOfPosition(d.start ?? 0) ?? {};
      const at = block
        ? `${block.file}:${block.line + line}:${block.indent + character + 1}`
        : d.file
          ? `${relative(work, d.file.fileName)}:${line + 1}`
          : '(project)';
      const key = `${at} ${message}`;
      if (!seenBy.has(key)) seenBy.set(key, []);
      seenBy.get(key).push(consumer.name);
    }
  }
  for (const [key, consumers] of seenBy) problems.push(`${key} (${consumers.join(', ')})`);
}

function main() {
  const started = Date.now();
  const problems = [];
  const blocks = [];
  const fragments = [];
  const files = markdownFiles(docsRoot);
  for (const file of files) {
    const { blocks: fenced, prose } = parseMarkdown(fs.readFileSync(join(docsRoot, file), 'utf8'));
    for (const block of fenced) {
      if (block.lang !== 'ts' && block.lang !== 'typescript') continue;
      const first = block.code.split('\n')[0];
      if (FRAGMENT.test(first)) fragments.push(`${file}:${block.line - 1} (${first.trim()})`);
      else
        blocks.push({
          ...block,
          file,
          name: `${file.split(sep).join('__').replace(/\.md$/, '')}_L${block.line}.ts`,
        });
    }
    for (const { line, text } of prose) {
      for (const { path, relativeToFile } of citations(text)) {
        const resolved = relativeToFile ? join(docsRoot, dirname(file), path) : join(docsRoot, path);
        const elsewhere = !relativeToFile && fs.existsSync(join(docsRoot, dirname(file), path));
        if (!fs.existsSync(resolved) && !elsewhere) {
          problems.push(`${file}:${line}: cites ${path}, which is not in the repository`);
        }
      }
    }
  }

  const work = fs.mkdtempSync(join(tmpdir(), 'check-docs-'));
  try {
    const declarations = installPackage(work, problems);
    compileBlocks(work, blocks, declarations, problems);
  } finally {
    if (keep) console.log(`check:docs: projects kept in ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }

  if (problems.length > 0) {
    console.error(`check:docs: ${problems.length} problem(s) in the documents or the declarations:`);
    for (const p of problems) console.error(`  ${p}`);
    process.exitCode = 1;
  } else {
    const where = [...new Set(blocks.map((b) => b.file))].join(', ') || 'no file';
    console.log(
      `check:docs: ${blocks.length} ts blocks (${where}) compile against the built declarations in a strict ` +
        `TypeScript ${ts.version} project, as ESM and as CommonJS; every cited file exists ` +
        `(${Date.now() - started} ms)`,
    );
  }
  if (fragments.length > 0) {
    console.log(`check:docs: ${fragments.length} block(s) marked as fragments, not compiled:`);
    for (const f of fragments) console.log(`  ${f}`);
  }
}

main();
