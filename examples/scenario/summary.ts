/**
 * The with/without table: pure functions from a {@link ScenarioRecord} to numbers, and from numbers to
 * a text or Markdown table. The HTML report shows the same rows.
 */
import type { ClientName, Outcome, ScenarioEvent, ScenarioRecord } from './recorder';

/** One call, put together from its events. */
export interface CallRecord {
  readonly call: number;
  readonly arrivedAt: number;
  /** When its request started; `undefined` if it never did (dropped, or still waiting at the cutoff). */
  readonly startedAt: number | undefined;
  /** When the caller got its outcome; `undefined` if it never ended. */
  readonly endedAt: number | undefined;
  readonly outcome: Outcome | undefined;
  readonly error: string | undefined;
  /** ms from its event's arrival to its outcome, as the caller waited; `Infinity` if it never ended. */
  readonly latency: number;
}

/** The calls of `client`, by number. An `end` after the cutoff does not count: that call never ended. */
export function callsOf(events: ReadonlyArray<ScenarioEvent>, client: ClientName): CallRecord[] {
  const cutoff = events.find((e) => e.type === 'cutoff')?.at ?? Infinity;
  const calls: Array<{ -readonly [K in keyof CallRecord]: CallRecord[K] }> = [];
  for (const e of events) {
    if (!('client' in e) || e.client !== client || e.at > cutoff) continue;
    if (e.type === 'arrive') {
      calls[e.call] = {
        call: e.call,
        arrivedAt: e.at,
        startedAt: undefined,
        endedAt: undefined,
        outcome: undefined,
        error: undefined,
        latency: Infinity,
      };
    } else if (e.type === 'start' || e.type === 'end') {
      const call = calls[e.call];
      if (call === undefined) continue;
      if (e.type === 'start') call.startedAt = e.at;
      else {
        call.endedAt = e.at;
        call.outcome = e.outcome;
        call.error = e.error;
        call.latency = e.at - call.arrivedAt;
      }
    }
  }
  return calls.filter((c) => c !== undefined);
}

/** The `p` quantile (0 < p <= 1) of ascending `sorted`, by nearest rank; `NaN` when empty. */
export function percentile(sorted: ReadonlyArray<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1]!;
}

/** What one client's callers went through. Durations in ms; `Infinity` for "never". */
export interface ClientSummary {
  readonly client: ClientName;
  readonly calls: number;
  /** Calls answered (`ok`). */
  readonly answered: number;
  /** Latency seen by callers, calls that never ended included (as `Infinity`). */
  readonly p50: number;
  readonly p99: number;
  /** Calls whose caller was told it failed: errors, refusals and drops. */
  readonly failed: number;
  readonly errors: number;
  readonly refused: number;
  readonly dropped: number;
  /** How long the failed calls took to fail: median and longest (`NaN` when none failed). */
  readonly failureP50: number;
  readonly failureMax: number;
  /** Calls whose caller was still waiting at the cutoff. */
  readonly neverEnded: number;
  /** Requests the dependency received from this client, and those it received while down. */
  readonly requests: number;
  readonly requestsWhileDown: number;
  /**
   * ms from the dependency's return (the start of `recovering`) to the first answer to a call made
   * after it; `Infinity` when no such call was answered.
   */
  readonly recoveredAfter: number;
}

const ascending = (a: number, b: number): number => a - b;

/** The summary of each client of the record, in the record's order. */
export function summarize(record: ScenarioRecord): ClientSummary[] {
  const back = record.phases.find((p) => p.name === 'recovering')?.from ?? Infinity;
  return record.clients.map(({ name }) => {
    const calls = callsOf(record.events, name);
    const count = (outcome: Outcome): number => calls.filter((c) => c.outcome === outcome).length;
    const latencies = calls.map((c) => c.latency).sort(ascending);
    const failures = calls
      .filter((c) => c.outcome !== undefined && c.outcome !== 'ok')
      .map((c) => c.latency)
      .sort(ascending);
    const requests = record.events.filter((e) => e.type === 'request' && e.client === name);
    const firstAnswer = calls.find((c) => c.arrivedAt >= back && c.outcome === 'ok');
    return {
      client: name,
      calls: calls.length,
      answered: count('ok'),
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      failed: failures.length,
      errors: count('error'),
      refused: count('refused'),
      dropped: count('dropped'),
      failureP50: percentile(failures, 0.5),
      failureMax: failures.length === 0 ? NaN : failures[failures.length - 1]!,
      neverEnded: calls.filter((c) => c.endedAt === undefined).length,
      requests: requests.length,
      requestsWhileDown: requests.filter((e) => e.type === 'request' && e.phase === 'down').length,
      recoveredAfter: firstAnswer === undefined ? Infinity : firstAnswer.endedAt! - back,
    };
  });
}

/** `21 ms`, `1.4 s`, `never` (Infinity), `-` (NaN). */
export function formatMs(ms: number): string {
  if (Number.isNaN(ms)) return '-';
  if (ms === Infinity) return 'never';
  if (ms < 999.5) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** `n (x%)` of `of`, or `0`. */
const share = (n: number, of: number): string => (n === 0 ? '0' : `${n} (${Math.round((100 * n) / of)}%)`);

/** The with/without table: a header row, then one row per fact, one column per client. */
export function tableRows(summaries: ReadonlyArray<ClientSummary>): string[][] {
  const row = (label: string, cell: (s: ClientSummary) => string): string[] => [
    label,
    ...summaries.map(cell),
  ];
  return [
    ['', ...summaries.map((s) => s.client)],
    row('calls (one per event)', (s) => String(s.calls)),
    row('answered', (s) => share(s.answered, s.calls)),
    row('p50 latency seen by callers', (s) => formatMs(s.p50)),
    row('p99 latency seen by callers', (s) => formatMs(s.p99)),
    row(
      'failed calls: error / refused / dropped',
      (s) => `${s.failed}: ${s.errors} / ${s.refused} / ${s.dropped}`,
    ),
    row('time a failure took: p50 / max', (s) =>
      s.failed === 0 ? '-' : `${formatMs(s.failureP50)} / ${formatMs(s.failureMax)}`,
    ),
    row('calls that never ended', (s) => share(s.neverEnded, s.calls)),
    row('requests the dependency got while down', (s) => String(s.requestsWhileDown)),
    row('time to recover after it came back', (s) => formatMs(s.recoveredAfter)),
  ];
}

/** The rows as an aligned text table: labels to the left, values to the right. */
export function renderTextTable(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: ReadonlyArray<string>): string =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   ');
  const rule = widths.map((w) => '-'.repeat(w)).join('   ');
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

/** The rows as a Markdown table, values right-aligned. */
export function renderMarkdownTable(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const line = (r: ReadonlyArray<string>): string => `| ${r.join(' | ')} |`;
  const align = rows[0]!.map((_, i) => (i === 0 ? '---' : '---:'));
  return [line(rows[0]!), line(align), ...rows.slice(1).map(line)].join('\n');
}
