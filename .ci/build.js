#!/usr/bin/env node
// Builds dist/: the same modules twice, as ES modules (dist/esm) and as CommonJS (dist/cjs), each folder
// with a package.json giving its `type`, JavaScript with source maps into src/, and declarations with
// declaration maps (tsconfig.build.json: `@internal` members stripped).
//
// - JavaScript: esbuild, one output file per source file (every import kept external), in ~0.3 s for both
//   formats; a relative import gets the extension Node's ESM resolver needs (`./x` -> `./x.js`, a folder
//   -> `./x/index.js`), and so does a deep import into a package without an `exports` map
//   (`fp-ts/lib/Either` -> `fp-ts/lib/Either.js`). esbuild compiles each file on its own, which
//   `isolatedModules` in tsconfig.json makes tsc check for.
// - Declarations: tsc, once (the type check of the build), with the same specifiers rewritten, written
//   to both folders: a .d.ts under dist/esm is read as an ES module's and one under dist/cjs as
//   CommonJS's, so a `nodenext` project gets the types of the format it loads.
//
// Usage: node .ci/build.js [--js-only] [--out <folder>] (the spec builds the JavaScript into a temp folder)
'use strict';
const fs = require('fs');
const { dirname, join, relative, resolve, sep } = require('path');

const repo = join(__dirname, '..');
const src = join(repo, 'src');
const FORMATS = [
  { format: 'esm', type: 'module' },
  { format: 'cjs', type: 'commonjs' },
];

/** Every .ts file under `dir`, sorted. */
function sourceFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * The specifier a built file imports `specifier` by, from a source file in `fromDir`: relative ones
 * name their .js file; a package subpath gets `.js` when the package has no `exports` map (Node's ESM
 * resolver adds no extension there). Throws for a relative import that names no source file.
 */
function builtSpecifier(specifier, fromDir) {
  if (specifier.startsWith('.')) {
    const target = resolve(fromDir, specifier);
    if (fs.existsSync(`${target}.ts`)) return `${specifier}.js`;
    if (fs.existsSync(join(target, 'index.ts'))) return `${specifier}/index.js`;
    throw new Error(`${relative(repo, fromDir)}: cannot resolve ${specifier}`);
  }
  const parts = specifier.split('/');
  const nameLength = specifier.startsWith('@') ? 2 : 1;
  if (parts.length === nameLength || specifier.endsWith('.js')) return specifier;
  const pkgDir = join(repo, 'node_modules', ...parts.slice(0, nameLength));
  const pkgJson = join(pkgDir, 'package.json');
  if (!fs.existsSync(pkgJson) || JSON.parse(fs.readFileSync(pkgJson, 'utf8')).exports !== undefined) {
    return specifier;
  }
  return fs.existsSync(join(pkgDir, ...parts.slice(nameLength)) + '.js') ? `${specifier}.js` : specifier;
}

/** Builds the JavaScript of both formats into `outDir`/esm and `outDir`/cjs. */
async function buildJavaScript(outDir) {
  const esbuild = require('esbuild');
  const entryPoints = sourceFiles(src);
  const keepImports = {
    name: 'keep-imports',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) =>
        args.kind === 'entry-point'
          ? undefined
          : { path: builtSpecifier(args.path, args.resolveDir), external: true },
      );
    },
  };
  await Promise.all(
    FORMATS.map(async ({ format }) => {
      const dir = join(outDir, format);
      await esbuild.build({
        entryPoints,
        outdir: dir,
        outbase: src,
        bundle: true,
        plugins: [keepImports],
        format,
        platform: 'neutral',
        target: 'es2022',
        tsconfig: join(repo, 'tsconfig.build.json'),
        sourcemap: true,
        sourcesContent: false,
        logLevel: 'warning',
      });
    }),
  );
  writeFormats(outDir);
}

/** A declaration transformer giving every import and `import("...")` type its built specifier. */
function rewriteDeclarations(ts) {
  return (context) => (sourceFile) => {
    const fromDir = dirname(sourceFile.fileName);
    const literal = (node) => context.factory.createStringLiteral(builtSpecifier(node.text, fromDir));
    const visit = (node) => {
      if (
        (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
        node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier)
      ) {
        return ts.isImportDeclaration(node)
          ? context.factory.updateImportDeclaration(
              node,
              node.modifiers,
              node.importClause,
              literal(node.moduleSpecifier),
              node.attributes,
            )
          : context.factory.updateExportDeclaration(
              node,
              node.modifiers,
              node.isTypeOnly,
              node.exportClause,
              literal(node.moduleSpecifier),
              node.attributes,
            );
      }
      if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
        const updated = ts.visitEachChild(node, visit, context);
        return context.factory.updateImportTypeNode(
          updated,
          context.factory.updateLiteralTypeNode(updated.argument, literal(node.argument.literal)),
          updated.attributes,
          updated.qualifier,
          updated.typeArguments,
          updated.isTypeOf,
        );
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.isSourceFile(sourceFile) ? ts.visitNode(sourceFile, visit) : sourceFile;
  };
}

/**
 * Writes the declarations of src/ into `outDir`/esm and `outDir`/cjs (and their maps unless `declarationMap`
 * is false), after a full type check unless `typeCheck` is false (the errors of emitting them are
 * reported either way). Returns the diagnostics, and the files written under `outDir`/esm (those under
 * `outDir`/cjs are the same text).
 */
function buildDeclarations(outDir, { declarationMap = true, typeCheck = true } = {}) {
  const ts = require('typescript');
  const config = ts.getParsedCommandLineOfConfigFile(
    join(repo, 'tsconfig.build.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => report(ts, [d]),
    },
  );
  const esmDir = join(outDir, 'esm');
  const options = {
    ...config.options,
    outDir: esmDir,
    emitDeclarationOnly: true,
    noEmit: false,
    declarationMap,
    sourceMap: false,
  };
  const program = ts.createProgram(config.fileNames, options);
  const diagnostics = [...config.errors, ...(typeCheck ? ts.getPreEmitDiagnostics(program) : [])];
  const files = [];
  const result = program.emit(
    undefined,
    (file, text) => {
      // The maps' `sources` are relative (../src/...), and both folders sit at the same depth.
      for (const { format } of FORMATS) {
        const target = join(outDir, format, relative(esmDir, file));
        fs.mkdirSync(dirname(target), { recursive: true });
        fs.writeFileSync(target, text);
      }
      files.push(file);
    },
    undefined,
    true,
    { afterDeclarations: [rewriteDeclarations(ts)] },
  );
  writeFormats(outDir);
  return { files, diagnostics: [...diagnostics, ...result.diagnostics] };
}

/**
 * Gives `outDir`/esm and `outDir`/cjs each a package.json saying its module format. Bundlers read
 * `sideEffects` from the nearest package.json, so it is repeated there: without it, every module of the
 * main entry is kept in a bundle that imports one operator.
 */
function writeFormats(outDir) {
  const { sideEffects } = JSON.parse(fs.readFileSync(join(repo, 'package.json'), 'utf8'));
  for (const { format, type } of FORMATS) {
    fs.mkdirSync(join(outDir, format), { recursive: true });
    const json = JSON.stringify({ type, sideEffects }, null, 2) + '\n';
    fs.writeFileSync(join(outDir, format, 'package.json'), json);
  }
}

/**
 * Lays out a project in `projectDir` whose node_modules holds this package as `npm run build` makes it
 * (its JavaScript only) beside the repository's dependencies (symlinked, so rxjs is one instance).
 * Returns the package's folder.
 */
async function installBuild(projectDir) {
  const modules = join(projectDir, 'node_modules');
  fs.mkdirSync(modules, { recursive: true });
  for (const name of fs.readdirSync(join(repo, 'node_modules'))) {
    if (name.startsWith('.') || name === 'rxjs-resilience') continue;
    fs.symlinkSync(join(repo, 'node_modules', name), join(modules, name), 'dir');
  }
  const pkg = join(modules, 'rxjs-resilience');
  await buildJavaScript(join(pkg, 'dist'));
  fs.copyFileSync(join(repo, 'package.json'), join(pkg, 'package.json'));
  return pkg;
}

function report(ts, diagnostics) {
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => repo, getNewLine: () => '\n' };
  console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
  process.exit(1);
}

async function main() {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const outDir = at >= 0 ? resolve(args[at + 1]) : join(repo, 'dist');
  const started = Date.now();
  fs.rmSync(outDir, { recursive: true, force: true });
  await buildJavaScript(outDir);
  const js = Date.now() - started;
  if (!args.includes('--js-only')) {
    const { diagnostics } = buildDeclarations(outDir);
    if (diagnostics.length > 0) report(require('typescript'), diagnostics);
  }
  console.log(
    `build: ${relative(repo, outDir) || '.'}${sep}{esm,cjs} (JavaScript ${js} ms` +
      (args.includes('--js-only') ? ')' : `, declarations ${Date.now() - started - js} ms)`),
  );
}

module.exports = { buildJavaScript, buildDeclarations, builtSpecifier, installBuild };
if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
