/**
 * What `npm start` runs: a dependency goes bad, and two clients of it are watched side by side, one
 * written with plain rxjs and one protected by rxjs-resilience. The dependency (an HTTP server on
 * 127.0.0.1) is healthy, then slow, then down (it hangs), then back; each client gets the same steady
 * stream of events and makes one call per event. While it runs, a status line per client (redrawn in
 * place on a terminal, printed every 2 seconds when piped); at the end, the with/without table, and an
 * HTML report with a timeline per client. The four acts of the earlier demo: `npm run demo:acts`.
 *
 * Takes about 21 s; the process then exits by itself.
 *
 * Run it: npm start [-- --duration 20000 --rate 40 --report <file.html> --events <file.json>]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { StatusOutput } from './scenario/liveStatus';
import type { ScenarioRecord } from './scenario/recorder';
import { renderReport } from './scenario/report';
import { runScenario } from './scenario/runScenario';
import { renderTextTable, summarize, tableRows } from './scenario/summary';

/** Where the report goes unless `--report` says otherwise (git-ignored). */
export const DEFAULT_REPORT = join(__dirname, '..', 'artifacts', 'scenario-report.html');

/** `path` relative to the working directory when it is inside it, else as it is. */
const shown = (path: string): string => {
  const inside = relative(process.cwd(), path);
  return inside === '' || inside.startsWith('..') ? path : inside;
};

/** The command line: `--duration` and `--rate` as for `runScenario`, `--report` and `--events` file paths. */
export async function main(args: ReadonlyArray<string>, out: StatusOutput): Promise<ScenarioRecord> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      duration: { type: 'string', default: '20000' },
      rate: { type: 'string', default: '40' },
      report: { type: 'string', default: DEFAULT_REPORT },
      events: { type: 'string' },
    },
  });
  const duration = Number(values.duration);
  const rate = Number(values.rate);
  if (!(duration >= 1000) || !(rate > 0 && rate <= 1000)) {
    throw new Error(`--duration must be at least 1000 (ms) and --rate in (0, 1000] (events/s)`);
  }
  out.write('== A dependency goes bad: two clients, with and without rxjs-resilience ==\n');
  const record = await runScenario({ duration, rate, out });
  out.write(`\n${renderTextTable(tableRows(summarize(record)))}\n\n`);

  const report = resolve(values.report);
  mkdirSync(dirname(report), { recursive: true });
  writeFileSync(report, renderReport(record));
  out.write(`report: ${shown(report)} (open it in a browser)\n`);
  if (values.events !== undefined) {
    const events = resolve(values.events);
    mkdirSync(dirname(events), { recursive: true });
    writeFileSync(events, JSON.stringify(record));
    out.write(`events: ${shown(events)}\n`);
  }
  return record;
}

if (require.main === module) {
  // No process.exit on success: the process ends by itself once nothing is left running.
  main(process.argv.slice(2), process.stdout).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
