/**
 * Runs every benchmark suite in bench/ (files named `*.bench.ts`, each exporting `default async () =>
 * void` that fills and saves a Report), or only those whose name contains the first argument:
 * `npm run bench -- breaker`.
 */
import { readdirSync } from 'fs';
import { join } from 'path';

async function main(): Promise<void> {
  const filter = process.argv[2] ?? '';
  if ((globalThis as { gc?: unknown }).gc === undefined) {
    console.warn(
      'note: run through `npm run bench` (node --expose-gc) for heap figures after full collections',
    );
  }
  const suites = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts') && f.includes(filter))
    .sort();
  for (const file of suites) {
    const suite = (await import(join(__dirname, file))) as { default: () => Promise<void> };
    await suite.default();
  }
  console.log(`\n${suites.length} suite(s) run; results in bench/results/`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
