import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { SETTINGS } from '../../examples/scenario/protection';
import type { ClientName, ScenarioRecord } from '../../examples/scenario/recorder';
import {
  callsOf,
  percentile,
  renderTextTable,
  summarize,
  tableRows,
  type ClientSummary,
} from '../../examples/scenario/summary';
import { launchChromium, type Chromium } from '../helpers/chromium';

const root = join(__dirname, '..', '..');
/** Where the run leaves its report, its events and the screenshot (git-ignored). */
const artifacts = join(root, 'artifacts', 'specs');
const reportFile = join(artifacts, 'scenario-report.html');
const eventsFile = join(artifacts, 'scenario-events.json');
const screenshotFile = join(artifacts, 'scenario-report.png');

/** The scenario compressed to 6 s (phases of 1.5, 1.2, 1.5 and 1.8 s), then 1.5 s for late answers. */
const DURATION = 6000;

describe('examples/scenario', function () {
  // Real servers on 127.0.0.1, real timers and a real browser: about 9 s for the run, 2 s for chromium.
  this.timeout(60_000);

  let code: number | null;
  let stdout: string;
  let record: ScenarioRecord;
  let summary: Record<ClientName, ClientSummary>;

  before(async () => {
    rmSync(artifacts, { recursive: true, force: true });
    mkdirSync(artifacts, { recursive: true });
    const tsNode = join(root, 'node_modules', 'ts-node', 'dist', 'bin.js');
    const args = ['--duration', String(DURATION), '--report', reportFile, '--events', eventsFile];
    ({ code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [tsNode, '--transpile-only', 'examples/scenario.ts', ...args],
        { cwd: root, timeout: 45_000 },
        (_error, out) => resolve({ code: child.exitCode, stdout: out }),
      );
    }));
    record = JSON.parse(readFileSync(eventsFile, 'utf8')) as ScenarioRecord;
    const [unprotected, protectedOne] = summarize(record);
    summary = { unprotected: unprotected!, protected: protectedOne! };
  });

  /** The phase `name` of the run. */
  const phase = (name: string): { from: number; to: number } => record.phases.find((p) => p.name === name)!;

  it('should run as `npm start` does and exit by itself with code 0', () => {
    // Exit code 0 without process.exit: every server, socket, subscription and timer was closed.
    expect(code, stdout).to.equal(0);
    const lines = stdout.split('\n');
    expect(lines[0]).to.equal('== A dependency goes bad: two clients, with and without rxjs-resilience ==');
    expect(lines[1]).to.match(
      /^sick dependency on http:\/\/127\.0\.0\.1:\d+: healthy 0-1\.5s, slow 1\.5-2\.7s, down 2\.7-4\.2s, recovering 4\.2-6s$/,
    );
  });

  it('should print status lines every 2 seconds when piped, one per client', () => {
    const headers = stdout.split('\n').filter((l) => /^t= +\d+\.\ds {2}dependency \w+: /.test(l));
    expect(headers.length).to.be.within(3, 5);
    for (const client of ['unprotected', 'protected']) {
      const lines = stdout.split('\n').filter((l) => l.startsWith(`${client} `));
      expect(lines, client).to.have.length(headers.length);
      for (const line of lines) expect(line).to.match(/^\w+ +\d+ +(\S+) +(\S+) +\d+ +\d+ +\d+ +\d+ {2}\w+$/);
    }
  });

  it('should print the table computed from the recorded events, and name the report', () => {
    expect(stdout).to.contain(`\n${renderTextTable(tableRows(summarize(record)))}\n`);
    expect(stdout).to.match(/\nreport: .*scenario-report\.html \(open it in a browser\)\n/);
  });

  it("should keep the protected callers' p99 within the deadline", () => {
    const { deadline, stream } = SETTINGS;
    // The deadline bounds each call; an event may wait in the buffer first, at most until `capacity`
    // newer ones push it out (100 ms at 40 events/s). The margin is for a loaded machine's timers.
    expect(summary.protected.p99).to.be.below(deadline + (stream.capacity * 1000) / record.rate + 400);
    expect(summary.protected.neverEnded).to.equal(0);
    expect(summary.protected.calls).to.be.at.least((0.7 * (record.rate * DURATION)) / 1000);
  });

  it('should leave the unprotected callers waiting: slowly while it is slow, forever while it is down', () => {
    const calls = callsOf(record.events, 'unprotected');
    const slow = phase('slow');
    const down = phase('down');
    // Calls well inside the slow phase waited for the slow answers (400 to 1000 ms) and got them.
    const whileSlow = calls.filter((c) => c.arrivedAt > slow.from + 100 && c.arrivedAt < slow.to - 100);
    expect(whileSlow.every((c) => c.outcome === 'ok')).to.equal(true);
    expect(
      percentile(
        whileSlow.map((c) => c.latency).sort((a, b) => a - b),
        0.5,
      ),
    ).to.be.at.least(400);
    // Calls well inside the down phase never ended, and no caller was told anything.
    const whileDown = calls.filter((c) => c.arrivedAt > down.from + 100 && c.arrivedAt < down.to - 100);
    expect(whileDown.length).to.be.at.least(10);
    expect(whileDown.filter((c) => c.endedAt !== undefined)).to.deep.equal([]);
    expect(summary.unprotected.p99).to.equal(Infinity);
    expect(summary.unprotected.failed).to.equal(0);
  });

  it('should send far fewer requests to the sick dependency while it is down when protected', () => {
    const downSeconds = (phase('down').to - phase('down').from) / 1000;
    expect(summary.unprotected.requestsWhileDown).to.be.at.least(0.5 * record.rate * downSeconds);
    // The breaker lets one probe through per openDuration (1 s): a handful of requests at most.
    expect(summary.protected.requestsWhileDown).to.be.at.most(summary.unprotected.requestsWhileDown / 5);
  });

  it('should answer again after the dependency came back: the protected client once its breaker closed', () => {
    const back = phase('recovering');
    expect(summary.unprotected.recoveredAfter).to.be.below(back.to - back.from);
    expect(summary.protected.recoveredAfter).to.be.below(back.to - back.from);
    const states = record.events.flatMap((e) => (e.type === 'breaker' ? [e.state] : []));
    expect(states.slice(0, 2)).to.deep.equal(['closed', 'open']);
    expect(states[states.length - 1]).to.equal('closed');
  });

  it("should be what the README shows first: the table's rows, then the report's picture", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const top = readme.slice(0, readme.indexOf('\n## '));
    const picture = /!\[[^\]]+\]\(([^)]+)\)/.exec(top);
    expect(picture?.[1], 'the picture in the README').to.equal('docs/scenario-report.png');
    expect(statSync(join(root, picture![1]!)).size).to.be.above(20_000);
    const aboveIt = top.slice(0, picture!.index);
    const labels = [...aboveIt.matchAll(/^\| ([^|]*?) +\|/gm)].map((m) => m[1]!.trim());
    const rows = tableRows(summarize(record));
    expect(labels.filter((l) => !/^-+$/.test(l))).to.deep.equal(rows.map((row) => row[0]));
  });

  describe('its HTML report, in a real browser (Debian chromium)', () => {
    let browser: Chromium;
    let page: Page;
    const problems: string[] = [];
    const requested: string[] = [];

    before(async () => {
      browser = await launchChromium();
      page = await browser.context.newPage();
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(String(error)));
      page.on('request', (request) => requested.push(request.url()));
      await page.goto(pathToFileURL(reportFile).href, { waitUntil: 'load' });
    });

    after(() => browser?.close());

    it('should load with no console error and fetch nothing but itself', () => {
      expect(problems).to.deep.equal([]);
      expect(requested).to.deep.equal([pathToFileURL(reportFile).href]);
    });

    it('should draw a timeline per client with a point per call and the four phases', async () => {
      const timelines = await page.$$eval('svg.timeline', (svgs) =>
        svgs.map((svg) => ({
          client: svg.getAttribute('data-client'),
          points: svg.querySelectorAll('circle.point').length,
          never: svg.querySelectorAll('circle.point[data-outcome="never"]').length,
          phases: [...svg.querySelectorAll('rect.phase')].map((rect) => ({
            name: rect.getAttribute('data-phase'),
            width: rect.getBoundingClientRect().width,
          })),
          breaker: svg.querySelectorAll('rect.breaker-state').length,
          inFlight: svg.querySelectorAll('path.in-flight').length,
        })),
      );
      expect(timelines.map((t) => t.client)).to.deep.equal(['unprotected', 'protected']);
      for (const t of timelines) {
        const client = t.client as ClientName;
        expect(t.points, client).to.equal(callsOf(record.events, client).length);
        expect(t.never, client).to.equal(summary[client].neverEnded);
        expect(t.phases.map((p) => p.name)).to.deep.equal(['healthy', 'slow', 'down', 'recovering']);
        for (const p of t.phases) expect(p.width, `${client} ${p.name}`).to.be.above(50);
        expect(t.inFlight).to.equal(1);
      }
      expect(timelines[1]!.breaker).to.be.at.least(3);
    });

    it('should show the same table as the terminal', async () => {
      const cells = await page.$$eval('table.summary tr', (rows) =>
        rows.map((row) => [...row.children].map((cell) => cell.textContent ?? '')),
      );
      expect(cells).to.deep.equal(tableRows(summarize(record)));
    });

    it('should save a screenshot of the page as a test artifact', async () => {
      await page.screenshot({ path: screenshotFile, fullPage: true });
      expect(statSync(screenshotFile).size).to.be.above(20_000);
    });
  });
});
