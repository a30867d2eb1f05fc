import { expect } from 'chai';
import { breakerSegments, escapeHtml, inFlightSteps, renderReport } from '../../../examples/scenario/report';
import { callsOf, summarize, tableRows } from '../../../examples/scenario/summary';
import { sampleEvents, sampleRecord } from './sampleRecord';

/** The part of `html` that draws `client`'s timeline. */
function timelineOf(html: string, client: string): string {
  const match = new RegExp(`<svg class="timeline" data-client="${client}"[\\s\\S]*?</svg>`).exec(html);
  expect(match, `timeline of ${client}`).to.not.equal(null);
  return match![0];
}

const count = (text: string, pattern: RegExp): number => text.match(pattern)?.length ?? 0;

describe('examples/scenario/report', () => {
  describe('inFlightSteps', () => {
    it('should step up at each start and down at each end, never down for a call that never ended', () => {
      expect(inFlightSteps(callsOf(sampleEvents, 'unprotected'), 1000)).to.deep.equal([
        [0, 1],
        [20, 0],
        [250, 1],
        [450, 2],
        [750, 3],
        [770, 2],
        [850, 1],
      ]);
    });

    it('should count a call that ends as another starts once', () => {
      const calls = [
        {
          call: 0,
          arrivedAt: 0,
          startedAt: 0,
          endedAt: 10,
          outcome: 'ok' as const,
          error: undefined,
          latency: 10,
        },
        {
          call: 1,
          arrivedAt: 10,
          startedAt: 10,
          endedAt: 20,
          outcome: 'ok' as const,
          error: undefined,
          latency: 10,
        },
      ];
      expect(inFlightSteps(calls, 100)).to.deep.equal([
        [0, 1],
        [10, 1],
        [20, 0],
      ]);
    });
  });

  describe('breakerSegments', () => {
    it('should cut the time into the states the breaker was in', () => {
      expect(breakerSegments(sampleEvents, 'protected', 1000)).to.deep.equal([
        [0, 550, 'closed'],
        [550, 700, 'open'],
        [700, 900, 'halfOpen'],
        [900, 1000, 'closed'],
      ]);
      expect(breakerSegments(sampleEvents, 'unprotected', 1000)).to.deep.equal([]);
    });
  });

  describe('renderReport', () => {
    const html = renderReport(sampleRecord);

    it('should be one self-contained page: no script, no link, no URL', () => {
      expect(html.startsWith('<!doctype html>')).to.equal(true);
      expect(html).to.not.match(/<script|<link|<img|<iframe|@import|url\(|https?:/i);
      expect(count(html, /<style>/g)).to.equal(1);
    });

    it('should draw one timeline per client, each over the four phases', () => {
      expect(count(html, /<svg class="timeline"/g)).to.equal(2);
      for (const client of ['unprotected', 'protected']) {
        const svg = timelineOf(html, client);
        const phases = [...svg.matchAll(/<rect class="phase" data-phase="(\w+)"/g)].map((m) => m[1]);
        expect(phases).to.deep.equal(['healthy', 'slow', 'down', 'recovering']);
      }
    });

    it('should draw one point per call, coloured by what became of it', () => {
      const points = (client: string): string[] =>
        [...timelineOf(html, client).matchAll(/<circle class="point" data-outcome="(\w+)"/g)].map(
          (m) => m[1]!,
        );
      expect(points('unprotected')).to.deep.equal(['ok', 'ok', 'never', 'ok']);
      expect(points('protected')).to.deep.equal(['ok', 'error', 'refused', 'dropped', 'ok']);
    });

    it('should band the outcomes, lane the breaker and trace the calls in flight', () => {
      const unprotected = timelineOf(html, 'unprotected');
      const protectedOne = timelineOf(html, 'protected');
      expect(count(unprotected, /<rect class="band" data-outcome="never"/g)).to.equal(1);
      expect(count(protectedOne, /<rect class="band" data-outcome="dropped"/g)).to.equal(1);
      const states = [...protectedOne.matchAll(/<rect class="breaker-state" data-state="(\w+)"/g)].map(
        (m) => m[1],
      );
      expect(states).to.deep.equal(['closed', 'open', 'halfOpen', 'closed']);
      expect(count(unprotected, /class="breaker-state"/g)).to.equal(0);
      expect(count(unprotected, /<path class="in-flight"/g)).to.equal(1);
      expect(count(protectedOne, /<path class="pool-slots"/g)).to.equal(1);
      expect(protectedOne).to.contain('deadline 400 ms');
      expect(unprotected).to.not.contain('deadline');
    });

    it("should scale each client's in-flight lane to its own peak or limit, so a pool of a few slots shows", () => {
      // On one scale for both, 196 hung unprotected calls flattened the protected pool's 8 slots to 2 px.
      const piled = {
        ...sampleRecord,
        events: [
          ...sampleRecord.events.filter((e) => e.type !== 'cutoff'),
          ...Array.from({ length: 100 }, (_, i) => [
            { type: 'arrive' as const, at: 300, client: 'unprotected' as const, call: 100 + i },
            { type: 'start' as const, at: 300, client: 'unprotected' as const, call: 100 + i },
          ]).flat(),
          ...sampleRecord.events.filter((e) => e.type === 'cutoff'),
        ],
      };
      const page = renderReport(piled);
      const top = (client: string) =>
        /<text class="in-flight-top"[^>]*>(\d+)<\/text>/.exec(timelineOf(page, client))?.[1];
      const end = piled.events.find((e) => e.type === 'cutoff')!.at;
      const peak = (client: 'unprotected' | 'protected') =>
        Math.max(...inFlightSteps(callsOf(piled.events, client), end).map(([, n]) => n));
      expect(peak('unprotected')).to.be.above(100);
      expect([top('unprotected'), top('protected')]).to.deep.equal([
        String(peak('unprotected')),
        String(Math.max(2, peak('protected'))), // its limit: at most 2 calls at once
      ]);
    });

    it('should show the with/without table from the same events', () => {
      const cells = [...html.matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/g)].map((m) => m[1]);
      expect(cells).to.deep.equal(tableRows(summarize(sampleRecord)).flat().map(escapeHtml));
    });

    it('should escape what it is told', () => {
      expect(html).to.contain('plain &#60;rxjs&#62; &#38; fetch');
      expect(escapeHtml(`<a href="x">'&'</a>`)).to.equal(
        '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;',
      );
    });
  });
});
