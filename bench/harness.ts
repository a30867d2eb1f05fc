/**
 * A small, repeatable benchmark harness: every case runs in this one process, side by side with its
 * alternatives, several rounds in alternation (so drift of the machine hits all of them alike), and
 * reports medians. Run with `npm run bench [-- filter]`; results go to bench/results/<suite>.json.
 */
import { writeFileSync, mkdirSync } from 'fs';
import { join } from 'path';

export interface Case {
  /** Row label, e.g. `rxjs timeout({ each })`. */
  readonly name: string;
  /** Does `ops` operations; returns nothing or a promise. */
  readonly run: (ops: number) => void | Promise<void>;
}

export interface Row {
  readonly name: string;
  /** Median nanoseconds per operation over the rounds. */
  readonly nsPerOp: number;
  /** Every round's nanoseconds per operation. */
  readonly rounds: number[];
}

export interface SuiteResult {
  readonly suite: string;
  readonly title: string;
  readonly node: string;
  readonly at: string;
  readonly tables: Array<{ readonly title: string; readonly rows: ReadonlyArray<Record<string, unknown>> }>;
  readonly checks: Array<{ readonly target: string; readonly value: number; readonly ok: boolean }>;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Times each case for `ops` operations, `rounds` times in alternation after one warm-up round. Before each
 * timed run the heap is collected: fully by default, or only its young generation with `collect: 'minor'`
 * (a full collection makes rxjs code 3 to 10 times slower for the next ~20 000 calls: TOOLCHAIN.md).
 */
export async function compare(
  cases: ReadonlyArray<Case>,
  ops: number,
  rounds = 7,
  collect: 'full' | 'minor' = 'full',
): Promise<Row[]> {
  const samples = cases.map(() => [] as number[]);
  for (let round = -1; round < rounds; round++) {
    for (let i = 0; i < cases.length; i++) {
      if (collect === 'minor') minorGc();
      else gc();
      const start = process.hrtime.bigint();
      await cases[i]!.run(ops);
      const ns = Number(process.hrtime.bigint() - start) / ops;
      if (round >= 0) samples[i]!.push(ns);
    }
  }
  return cases.map((c, i) => ({ name: c.name, nsPerOp: median(samples[i]!), rounds: samples[i]! }));
}

/** Collects only the young generation when node runs with --expose-gc (npm run bench does). */
export function minorGc(): void {
  (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc?.({ type: 'minor' });
}

/** Runs the garbage collector when node runs with --expose-gc (npm run bench does). */
export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Heap in use after a full collection, in bytes. */
export function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export function formatNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} us`;
  return `${ns.toFixed(1)} ns`;
}

/** Collects tables and target checks of one suite, prints them, and saves them as JSON. */
export class Report {
  private readonly result: SuiteResult;

  constructor(suite: string, title: string) {
    this.result = {
      suite,
      title,
      node: process.version,
      at: new Date().toISOString(),
      tables: [],
      checks: [],
    };
    console.log(`\n## ${title}\n`);
  }

  /** Prints rows of timings with each row's ratio to `baseline` (a row name). */
  timings(title: string, rows: ReadonlyArray<Row>, baseline?: string): void {
    const base = rows.find((r) => r.name === baseline)?.nsPerOp;
    this.table(
      title,
      rows.map((r) => ({
        case: r.name,
        'per op': formatNs(r.nsPerOp),
        ns: Number(r.nsPerOp.toFixed(1)),
        ...(base === undefined ? {} : { 'x baseline': Number((r.nsPerOp / base).toFixed(2)) }),
      })),
    );
  }

  table(title: string, rows: ReadonlyArray<Record<string, unknown>>): void {
    console.log(title);
    console.table(rows);
    this.result.tables.push({ title, rows });
  }

  /** Records a target, e.g. `check('breaker adds <= 100 ns per call', added, added <= 100)`. */
  check(target: string, value: number, ok: boolean): void {
    console.log(`${ok ? 'PASS' : 'MISS'}  ${target}: ${Number(value.toFixed(2))}`);
    this.result.checks.push({ target, value, ok });
  }

  save(): SuiteResult {
    const dir = join(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${this.result.suite}.json`), JSON.stringify(this.result, null, 2) + '\n');
    return this.result;
  }
}
