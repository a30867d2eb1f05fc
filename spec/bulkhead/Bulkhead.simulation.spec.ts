/**
 * Issue 14's simulation, in virtual time: a dependency whose latency grows with its concurrency past a
 * knee of 20 (quadratically: throughput falls past the knee), driven by a steady overload of 500 calls/s
 * (2.5 times what it serves at the knee) for 120 s, through a pool that queues nothing. What a fixed
 * limit of 100 lets happen, and what each adaptive limit does, starting from the same guess of 100
 * (and, for the delay-based ones, from 10 as well: they must see the dependency healthy once).
 *
 * Each assertion's message carries the limit over time as an ASCII plot (spec/helpers/congestion.ts).
 * The same runs, printed, are the numbers of docs/adaptive-concurrency.md.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BulkheadConfig } from '../../src/bulkhead/Bulkhead';
import { congestionPool, plotLimits, runCongestion, type CongestionRun } from '../helpers/congestion';

const knee = 20;
const model = { knee, latency: 100, jitter: 0.1, every: 2, duration: 120_000, seed: 7 };

type Run = CongestionRun & { readonly plot: string };

/** The runs, each with the label of its row in docs/adaptive-concurrency.md and its plot's title. */
const runs = {
  fixed: ['fixed `maxConcurrent: 100`', 'fixed maxConcurrent: 100', 100, undefined],
  aimd: [
    'AIMD `{ window: 1000, slowCallDuration: 150 }`, from 100',
    'AIMD { window: 1000, slowCallDuration: 150 }, from 100',
    100,
    { algorithm: 'aimd', window: 1000, slowCallDuration: 150 },
  ],
  aimdPerCall: [
    'AIMD `{ slowCallDuration: 150 }` per call, from 100',
    'AIMD { slowCallDuration: 150 }, per call, from 100',
    100,
    { algorithm: 'aimd', slowCallDuration: 150 },
  ],
  vegasHealthy: [
    'Vegas (defaults), from 10',
    'Vegas (defaults: window 1000), from 10',
    10,
    { algorithm: 'vegas', random: () => 0.5 },
  ],
  vegasCongested: [
    'Vegas (defaults), from 100',
    'Vegas (defaults: window 1000), from 100',
    100,
    { algorithm: 'vegas', random: () => 0.5 },
  ],
  gradient2Healthy: [
    'Gradient2 `{ min: 1 }` (defaults otherwise), from 10',
    'Gradient2 { min: 1 } (window 1000), from 10',
    10,
    { algorithm: 'gradient2', min: 1 },
  ],
  gradient2Congested: [
    'Gradient2 `{ min: 1 }` (defaults otherwise), from 100',
    'Gradient2 { min: 1 } (window 1000), from 100',
    100,
    { algorithm: 'gradient2', min: 1 },
  ],
} as const satisfies Record<string, readonly [string, string, number, BulkheadConfig['adaptive']]>;

/** A multiple of the healthy latency as the guide prints it. */
const times = (x: number): string => `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}x`;

describe('Bulkhead (adaptive, simulation)', function () {
  this.timeout(30_000);
  const done = {} as Record<keyof typeof runs, Run>;

  before(() => {
    for (const [key, [, title, maxConcurrent, adaptive]] of Object.entries(runs)) {
      const run = runCongestion(model, congestionPool(maxConcurrent, adaptive));
      done[key as keyof typeof runs] = { ...run, plot: plotLimits(run, knee, title) };
    }
  });

  it('should let a fixed limit of 100 drive callers past 5x the uncongested latency', () => {
    const { fixed } = done;
    expect(fixed.p99, fixed.plot).to.be.above(5);
    expect(fixed.settled.mean, fixed.plot).to.equal(100);
  });

  it('should settle AIMD within 25% of the knee, p99 within 2x (windowed, slow calls as drops)', () => {
    const { aimd: run, fixed } = done;
    expect(run.settled.min, run.plot).to.be.at.least(knee * 0.75);
    expect(run.settled.max, run.plot).to.be.at.most(knee * 1.25);
    expect(run.p99, run.plot).to.be.below(2);
    // It serves more than four times what the fixed pool's collapsed dependency serves.
    expect(run.served, run.plot).to.be.above(fixed.served * 4);
  });

  it('should show AIMD per call (DESIGN 2.11 default) swinging: better than fixed, but no settled limit', () => {
    const { aimdPerCall: run, fixed } = done;
    // One update per call grows the limit by one per success while the congestion signal is on its way
    // back (it doubles in a round trip), then every call started meanwhile drops: a sawtooth from 1.
    expect(run.settled.max - run.settled.min, run.plot).to.be.above(knee);
    expect(run.p99, run.plot).to.be.above(2);
    expect(run.p99, run.plot).to.be.below(fixed.p99 / 4);
    expect(run.served, run.plot).to.be.above(fixed.served * 1.5);
  });

  it('should settle Vegas within 25% of the knee from a healthy start, and above it from a congested one', () => {
    const { vegasHealthy: healthy, vegasCongested: congested, fixed } = done;
    expect(healthy.settled.min, healthy.plot).to.be.at.least(knee * 0.75);
    expect(healthy.settled.max, healthy.plot).to.be.at.most(knee * 1.25);
    expect(healthy.p99, healthy.plot).to.be.below(2);
    // From 100 its first window already averages congested calls: that is its baseline (rttNoLoad),
    // so it stops where latency is a few times that baseline's queue, about twice the knee.
    expect(congested.settled.mean, congested.plot).to.be.within(knee * 1.5, knee * 3);
    expect(congested.p99, congested.plot).to.be.within(2, fixed.p99 / 4);
  });

  it('should settle Gradient2 above the knee from a healthy start, and not come down from a congested one', () => {
    const { gradient2Healthy: healthy, gradient2Congested: congested, fixed } = done;
    // Its long-term average follows latency up, and queueSize keeps adding room: it settles 25-75% high.
    expect(healthy.settled.mean, healthy.plot).to.be.within(knee * 1.25, knee * 1.75);
    expect(healthy.p99, healthy.plot).to.be.within(2, 3);
    // From 100 it never sees the dependency healthy: the congested latency is its baseline, gradient 1.
    expect(congested.settled.mean, congested.plot).to.be.above(100);
    expect(congested.p99, congested.plot).to.be.above(fixed.p99);
  });

  it('should be what docs/adaptive-concurrency.md shows: its table and its plots', () => {
    const guide = readFileSync(join(__dirname, '..', '..', 'docs', 'adaptive-concurrency.md'), 'utf8');
    const rows = new Map(
      guide
        .split('\n')
        .filter((line) => line.startsWith('| '))
        .map((line) => line.split('|').map((cell) => cell.trim()))
        .map((cells) => [cells[1]!, cells.slice(2, 6)] as const),
    );
    for (const [key, [label]] of Object.entries(runs)) {
      const run = done[key as keyof typeof runs];
      const { min, max } = run.settled;
      const shown = [
        min === max ? `${min}` : `${min}..${max}`,
        times(run.p50),
        times(run.p99),
        run.served.toFixed(0),
      ];
      expect(rows.get(label), `the guide's row for ${label}\n${run.plot}`).to.deep.equal(shown);
    }
    for (const key of ['aimd', 'aimdPerCall', 'vegasHealthy', 'gradient2Healthy'] as const) {
      expect(
        guide.includes(`\`\`\`text\n${done[key].plot}\n\`\`\``),
        `the guide's plot:\n${done[key].plot}`,
      ).to.equal(true);
    }
  });
});
