/**
 * GraphiQL and the web client under their Content-Security-Policy, in Chromium (issue 13, item 10):
 * every request the pages make goes to the server itself (no CDN), nothing violates the policy, and
 * GraphiQL renders, loads the schema by introspection and runs a query.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/fixtures.js';
import { chromiumSkipReason, hasChromium, launchBrowser, screenshot, startServer, type Browser, type TestServer } from './support.js';

/** The client `npm test` builds before the suites run (`npm run build`). */
const clientDir = path.join(repoRoot, 'dist', 'client');
const hasClient = existsSync(path.join(clientDir, 'index.html'));

if (!hasChromium) console.warn(`[facegate e2e] ${chromiumSkipReason}`);

/** Records every request a page makes and every CSP violation it reports. */
function watch(page: Page): { requests: string[]; violations: string[] } {
  const requests: string[] = [];
  const violations: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  return { requests, violations };
}

describe.skipIf(!hasChromium || !hasClient)('GraphiQL and the client under a strict CSP, in Chromium', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer(clientDir, { FACEGATE_WORKERS: '1' });
    browser = await launchBrowser();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('renders GraphiQL from our own assets, loads the schema and runs a query', async () => {
    const page = await browser.newPage();
    const seen = watch(page);
    const response = await page.goto(`${server.url}/graphql`);
    expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(response!.headers()['x-content-type-options']).toBe('nosniff');
    // The editor is Monaco; the docs button appears once introspection has loaded the schema.
    await page.locator('.graphiql-container').first().waitFor({ timeout: 60_000 });
    await page.locator('.monaco-editor').first().waitFor({ timeout: 60_000 });
    await page.locator('.graphiql-execute-button').click();
    await page.waitForFunction(() => document.body.innerText.includes('defaultThreshold') && /"version"/.test(document.body.innerText), null, {
      timeout: 60_000,
    });
    await screenshot(page, 'graphiql');
    const foreign = seen.requests.filter((u) => !u.startsWith(server.url) && !u.startsWith('data:') && !u.startsWith('blob:'));
    expect(foreign).toEqual([]);
    expect(seen.requests.some((u) => u.endsWith('/graphiql/graphiql.js'))).toBe(true);
    expect(seen.violations).toEqual([]);
    await page.close();
  }, 120_000);

  it('serves the web client with its CSP and no violation', async () => {
    const page = await browser.newPage();
    const seen = watch(page);
    const response = await page.goto(server.url);
    expect(response!.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await page.locator('#root *').first().waitFor({ timeout: 30_000 });
    const foreign = seen.requests.filter((u) => !u.startsWith(server.url) && !u.startsWith('data:') && !u.startsWith('blob:'));
    expect(foreign).toEqual([]);
    expect(seen.violations).toEqual([]);
    await page.close();
  }, 60_000);
});
