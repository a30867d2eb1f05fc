/**
 * Makes the README's picture and table from a real run: runs the full scenario (`npm start`'s), renders
 * its report's timelines in headless chromium to docs/scenario-report.png, and prints the with/without
 * table as Markdown to paste above it.
 *
 * Run it: npm run scenario:picture
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../scenario';
import { renderMarkdownTable, summarize, tableRows } from './summary';
import { launchChromium } from '../../spec/helpers/chromium';

async function picture(): Promise<void> {
  const root = join(__dirname, '..', '..');
  const report = join(root, 'artifacts', 'scenario-report.html');
  const record = await main(['--report', report], process.stdout);
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    await page.goto(pathToFileURL(report).href);
    // The timelines only: the README shows the table as text above them.
    const sections = await page.$$eval('section.client', (elements) =>
      elements.map((element) => {
        const box = element.getBoundingClientRect();
        return { top: box.top, bottom: box.bottom, right: box.right }; // the page is not scrolled
      }),
    );
    const top = Math.min(...sections.map((s) => s.top)) - 8;
    const bottom = Math.max(...sections.map((s) => s.bottom)) + 8;
    const width = Math.max(...sections.map((s) => s.right)) + 16;
    const png = join(root, 'docs', 'scenario-report.png');
    await page.screenshot({ path: png, fullPage: true, clip: { x: 0, y: top, width, height: bottom - top } });
    console.log(`\npicture: ${png}\n\n${renderMarkdownTable(tableRows(summarize(record)))}`);
  } finally {
    await browser.close();
  }
}

picture().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
