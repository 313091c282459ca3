// A real stack for browser tests: the API on a free port with a temporary data dir, the web server in front of
// it serving a fresh Vite build, and Debian's Chromium driven by playwright-core.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type * as Axe from 'axe-core';
import { startServer } from '@parley/server';
import { buildBundle } from '../src/build.ts';
import { startWebServer } from '../src/serve.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(import.meta.dirname, 'screenshots');

export interface Stack {
  webUrl: string;
  apiUrl: string;
  distDir: string;
  /** The API's data directory (SQLite file parley.db, the server key). */
  dataDir: string;
  browser: Browser;
  /** Stops the API (its sockets close as on a server restart); the web server stays up. */
  stopApi(): Promise<void>;
  /** Starts the API again on the same port and data. */
  startApi(): Promise<void>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Builds the bundle into a temp dir (so parallel files never share one), starts API + web + Chromium.
 * `extraFiles` (path → content) are added to the build before the web server starts, which serves only the
 * files it finds then: a bench page is served like the app, with its headers and without any interception.
 */
export async function startStack(extraFiles: ReadonlyMap<string, Buffer> = new Map()): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-web-'));
  const distDir = join(dir, 'dist');
  await buildBundle(distDir);
  for (const [path, content] of extraFiles) {
    await mkdir(dirname(join(distDir, path)), { recursive: true });
    await writeFile(join(distDir, path), content);
  }
  const webPort = await freePort();
  const webUrl = `http://localhost:${webPort}`;
  const dataDir = join(dir, 'data');
  const apiConfig = { host: '127.0.0.1', dataDir, allowedOrigins: [webUrl], logLevel: 'warn' } as const;
  let api: Awaited<ReturnType<typeof startServer>> | null = await startServer({ ...apiConfig, port: 0 });
  const apiUrl = api.url;
  const apiPort = Number(new URL(apiUrl).port);
  const web = await startWebServer({ port: webPort, host: 'localhost', apiUrl, distDir });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run'],
  });
  return {
    webUrl,
    apiUrl,
    distDir,
    dataDir,
    browser,
    async stopApi() {
      await api?.close();
      api = null;
    },
    async startApi() {
      api ??= await startServer({ ...apiConfig, port: apiPort });
    },
    async close() {
      await browser.close();
      await web.close();
      await api?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Person {
  context: BrowserContext;
  page: Page;
  /** Every dialog (alert, confirm) the page tried to open. */
  dialogs: string[];
}

export async function openPerson(stack: Stack): Promise<Person> {
  const context = await stack.browser.newContext({ viewport: { width: 1200, height: 760 } });
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  // A script error or a CSP violation fails loudly instead of as a timeout on a blank page.
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`[console] ${m.text()}`);
  });
  await page.goto(stack.webUrl);
  return { context, page, dialogs };
}

export async function signUp(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('navigation', { name: 'Rooms' }).waitFor();
}

export async function openRoom(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Rooms' }).getByRole('link', { name }).click();
  await page.getByRole('heading', { name, exact: true }).waitFor();
}

export async function send(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByLabel('Message', { exact: true }).press('Enter');
}

/** The list item of the message with this exact text. */
export function message(page: Page, text: string) {
  return page.getByRole('listitem').filter({ has: page.getByText(text, { exact: true }) });
}

export function member(page: Page, user: string) {
  return page.getByRole('complementary', { name: 'Members' }).locator(`li[data-user="${user}"]`);
}

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's WCAG 2.1 A and AA rules on the page as it is now: one line per rule broken, naming the elements (an
 * empty list is a pass). axe is evaluated through the DevTools protocol, which the app's CSP does not govern.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  // Once per document: a page keeps axe until it navigates.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await axeSource);
  const results = await page.evaluate(() =>
    (window as unknown as { axe: typeof Axe }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    }),
  );
  return results.violations.map(
    (v) => `${v.id} (${v.impact ?? '-'}): ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}
