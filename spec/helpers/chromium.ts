/**
 * A real headless browser for the specs: Debian's chromium, driven by playwright-core (which downloads
 * nothing when given the executable), with a fresh profile each launch. `.ci/ensure-system.js` (run by
 * `pretest`) installs chromium when it is missing; a spec that needs it fails, never skips, without it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * The flags for a closed network: no sandbox (root in CI), no GPU, and none of the background
 * connections (updates, sync, QUIC) that this machine refuses.
 */
export const CHROMIUM_ARGS: ReadonlyArray<string> = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser context on a fresh profile; `close()` ends the browser and removes the profile. */
export interface Chromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless chromium with a new, empty user-data-dir. */
export async function launchChromium(viewport = { width: 1100, height: 900 }): Promise<Chromium> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (node .ci/ensure-system.js tells how)`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'rxjs-resilience-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS],
    viewport,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
