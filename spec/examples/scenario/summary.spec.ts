import { expect } from 'chai';
import {
  callsOf,
  formatMs,
  percentile,
  renderMarkdownTable,
  renderTextTable,
  summarize,
  tableRows,
} from '../../../examples/scenario/summary';
import { sampleEvents, sampleRecord } from './sampleRecord';

describe('examples/scenario/summary', () => {
  describe('percentile', () => {
    it('should take the nearest rank', () => {
      const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
      expect(percentile(hundred, 0.5)).to.equal(50);
      expect(percentile(hundred, 0.99)).to.equal(99);
      expect(percentile(hundred, 1)).to.equal(100);
      expect(percentile([7], 0.99)).to.equal(7);
      expect(percentile([1, 2, Infinity], 0.99)).to.equal(Infinity);
    });

    it('should be NaN for no values', () => {
      expect(Number.isNaN(percentile([], 0.5))).to.equal(true);
    });
  });

  describe('callsOf', () => {
    it('should put each call together from its events, ignoring what came after the cutoff', () => {
      expect(callsOf(sampleEvents, 'unprotected')).to.deep.equal([
        { call: 0, arrivedAt: 0, startedAt: 0, endedAt: 20, outcome: 'ok', error: undefined, latency: 20 },
        {
          call: 1,
          arrivedAt: 250,
          startedAt: 250,
          endedAt: 850,
          outcome: 'ok',
          error: undefined,
          latency: 600,
        },
        {
          call: 2,
          arrivedAt: 450,
          startedAt: 450,
          endedAt: undefined,
          outcome: undefined,
          error: undefined,
          latency: Infinity,
        },
        {
          call: 3,
          arrivedAt: 750,
          startedAt: 750,
          endedAt: 770,
          outcome: 'ok',
          error: undefined,
          latency: 20,
        },
      ]);
    });

    it('should leave a dropped call without a start', () => {
      const dropped = callsOf(sampleEvents, 'protected')[3]!;
      expect(dropped).to.include({ arrivedAt: 460, startedAt: undefined, outcome: 'dropped', latency: 10 });
    });
  });

  describe('summarize', () => {
    it('should count what the callers of each client went through', () => {
      const [unprotected, protectedOne] = summarize(sampleRecord);
      expect(unprotected).to.deep.equal({
        client: 'unprotected',
        calls: 4,
        answered: 3,
        p50: 20,
        p99: Infinity,
        failed: 0,
        errors: 0,
        refused: 0,
        dropped: 0,
        failureP50: NaN,
        failureMax: NaN,
        neverEnded: 1,
        requests: 4,
        requestsWhileDown: 1,
        recoveredAfter: 70,
      });
      expect(protectedOne).to.deep.equal({
        client: 'protected',
        calls: 5,
        answered: 2,
        p50: 22,
        p99: 300,
        failed: 3,
        errors: 1,
        refused: 1,
        dropped: 1,
        failureP50: 10,
        failureMax: 300,
        neverEnded: 0,
        requests: 3,
        requestsWhileDown: 0,
        recoveredAfter: 200,
      });
    });

    it('should say never for a client that did not recover', () => {
      const events = sampleEvents.filter((e) => !(e.type === 'end' && e.at === 900));
      const [, protectedOne] = summarize({ ...sampleRecord, events });
      expect(protectedOne!.recoveredAfter).to.equal(Infinity);
      expect(protectedOne!.neverEnded).to.equal(1);
    });
  });

  describe('formatMs', () => {
    it('should write ms below a second, seconds above, never and -', () => {
      expect([0.4, 20.4, 999.4, 999.6, 1400, 12_345, Infinity, NaN].map(formatMs)).to.deep.equal([
        '0 ms',
        '20 ms',
        '999 ms',
        '1.0 s',
        '1.4 s',
        '12.3 s',
        'never',
        '-',
      ]);
    });
  });

  describe('tableRows', () => {
    it('should give one row per fact and one column per client', () => {
      expect(tableRows(summarize(sampleRecord))).to.deep.equal([
        ['', 'unprotected', 'protected'],
        ['calls (one per event)', '4', '5'],
        ['answered', '3 (75%)', '2 (40%)'],
        ['p50 latency seen by callers', '20 ms', '22 ms'],
        ['p99 latency seen by callers', 'never', '300 ms'],
        ['failed calls: error / refused / dropped', '0: 0 / 0 / 0', '3: 1 / 1 / 1'],
        ['time a failure took: p50 / max', '-', '10 ms / 300 ms'],
        ['calls that never ended', '1 (25%)', '0'],
        ['requests the dependency got while down', '1', '0'],
        ['time to recover after it came back', '70 ms', '200 ms'],
      ]);
    });
  });

  describe('renderTextTable', () => {
    it('should align labels left and values right, under a rule', () => {
      const rows = [
        ['', 'a', 'bb'],
        ['one', '1', '22'],
        ['three', '333', '4'],
      ];
      expect(renderTextTable(rows)).to.equal(
        ['          a   bb', '-----   ---   --', 'one       1   22', 'three   333    4'].join('\n'),
      );
    });
  });

  describe('renderMarkdownTable', () => {
    it('should right-align the value columns', () => {
      expect(
        renderMarkdownTable([
          ['', 'a'],
          ['one', '1'],
        ]),
      ).to.equal(['|  | a |', '| --- | ---: |', '| one | 1 |'].join('\n'));
    });
  });
});
