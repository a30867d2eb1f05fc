/**
 * Runs the scenario: starts the sick dependency on 127.0.0.1, feeds both clients the same steady
 * stream of events while the dependency goes healthy, slow, down and back, draws the live status lines,
 * and returns everything it recorded. Every server, socket, subscription and timer is closed by the time
 * it resolves.
 */
import { lastValueFrom, share, takeUntil, timer } from 'rxjs';
import {
  headerLine,
  liveStatus,
  statusHeader,
  statusLine,
  StatusBoard,
  type StatusOutput,
} from './liveStatus';
import { phaseAt, phasesOf } from './phases';
import { createProtection, SETTINGS } from './protection';
import { runProtected } from './protectedClient';
import { CLIENTS, Recorder, type ClientInfo, type ClientName, type ScenarioRecord } from './recorder';
import { startSickDependency } from './sickDependency';
import { runUnprotected } from './unprotectedClient';

export interface ScenarioOptions {
  /** ms from the first event to the last; the phases share it (phases.ts). @default 20000 */
  readonly duration?: number | undefined;
  /** Events per second, the same for each client. @default 40 */
  readonly rate?: number | undefined;
  /** ms after the last event before the record ends: a call still waiting then never ended. @default 1500 */
  readonly grace?: number | undefined;
  /** Where the prelude and the status lines go. @default process.stdout */
  readonly out?: StatusOutput | undefined;
  /** ms between two draws of the status lines. @default 200 on a terminal, 2000 otherwise */
  readonly statusEvery?: number | undefined;
}

const isClient = (name: string): name is ClientName => (CLIENTS as ReadonlyArray<string>).includes(name);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the scenario once; resolves with its record once everything is closed. */
export async function runScenario(options: ScenarioOptions = {}): Promise<ScenarioRecord> {
  const { duration = 20_000, rate = 40, grace = 1500, out = process.stdout } = options;
  const statusEvery = options.statusEvery ?? (out.isTTY ? 200 : 2000);
  const recorder = new Recorder();
  const phases = phasesOf(duration);
  const dependency = await startSickDependency({
    phase: () => phaseAt(phases, recorder.elapsed()),
    onRequest: (client, phase) => {
      if (isClient(client)) recorder.record({ type: 'request', client, phase });
    },
  });
  const protection = createProtection();
  const clients: ClientInfo[] = [
    {
      name: 'unprotected',
      description: 'plain rxjs: mergeMap over fetch, errors caught per call; no timeout, no limit',
      hasBreaker: false,
    },
    {
      name: 'protected',
      description: `rxjs-resilience: ${protection.description}`,
      deadline: SETTINGS.deadline,
      concurrency: SETTINGS.stream.concurrency,
      poolSlots: SETTINGS.pool.maxConcurrent,
      hasBreaker: true,
    },
  ];

  const s = (ms: number): string => `${ms / 1000}`;
  out.write(
    `sick dependency on ${dependency.url}: ` +
      `${phases.map((p) => `${p.name} ${s(p.from)}-${s(p.to)}s`).join(', ')}\n` +
      `each client gets ${rate} events/s, one call per event:\n` +
      clients.map((c) => `  ${c.name.padEnd(11)}  ${c.description}\n`).join(''),
  );

  recorder.start();
  recorder.record({ type: 'phase', phase: phases[0]!.name });
  const phaseTimers = phases
    .slice(1)
    .map((p) => setTimeout(() => recorder.record({ type: 'phase', phase: p.name }), p.from));
  const events$ = timer(0, 1000 / rate).pipe(takeUntil(timer(duration)), share());
  const stopped = lastValueFrom(events$, { defaultValue: -1 });
  const running = [
    runUnprotected(events$, dependency.url, recorder),
    runProtected(events$, dependency.url, protection, recorder),
  ];

  const board = new StatusBoard(out);
  const draw = (): void => {
    const now = recorder.elapsed();
    board.draw([
      headerLine(now, phases),
      statusHeader(),
      ...CLIENTS.map((client) => statusLine(liveStatus(recorder.events, client, now))),
    ]);
  };
  const drawing = setInterval(draw, statusEvery);
  try {
    await stopped;
    recorder.record({ type: 'stop' });
    await sleep(grace);
    recorder.record({ type: 'cutoff' });
    draw();
  } finally {
    clearInterval(drawing);
    for (const t of phaseTimers) clearTimeout(t);
    // The protected calls are aborted; the unprotected ones hang until the server drops them.
    for (const subscription of running) subscription.unsubscribe();
    await dependency.close();
  }
  return { duration, rate, phases, clients, events: recorder.events };
}
