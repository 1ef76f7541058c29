import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/**
 * Debian's chromium as the browser test (test/browser.test.ts) and the epoch-times script
 * (scripts/epoch-times.mjs, through lib/chromium.js) launch it: one definition of the executable
 * and its flags. Not part of the page; playwright-core is a development dependency.
 */

/** Debian's chromium, as CI installs it (no browser download); BACKPROP_CHROMIUM names another. */
export const CHROMIUM = process.env.BACKPROP_CHROMIUM ?? '/usr/bin/chromium';

/** The flags of issue 16: headless, no sandbox (root in CI), nothing from the network, WebGPU on. */
export const CHROMIUM_FLAGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
]);

/** A chromium with a page open, and how to close it (its profile directory is removed). */
export interface OpenBrowser {
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

/** A fresh chromium with its own profile directory (playwright passes it as --user-data-dir). */
export async function openBrowser(): Promise<OpenBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'backprop-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS],
    viewport: { width: 1280, height: 1000 },
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
