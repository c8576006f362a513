/**
 * The Gallery and Identify pages in Chromium against a real server (SQLite in a temporary data directory,
 * real models, LFW photos): a key, a gallery, subjects, enrollment by upload with a rejected photo and
 * its reason and by the (fake) camera, a subject list paged as a Relay connection, identification (MATCH for another photo of an
 * enrolled person, NO_MATCH for a stranger, the candidates), and deletion. Screenshots go to
 * test-artifacts/e2e/.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasLfw, lfwImagePath, lfwSkipReason, readLfwImage } from '../support/fixtures.js';
import { gradientJpeg } from '../support/images.js';
import { chromiumSkipReason, closeClient, hasChromium, makeY4m, openClient, screenshot, tempDir, type Browser, type TestServer } from './support.js';

if (!hasChromium) console.warn(`[facegate e2e] ${chromiumSkipReason}`);
if (!hasLfw) console.warn(`[facegate e2e] ${lfwSkipReason}`);

const ADMIN = 'e2e-gallery-admin-key-0123456789';
const KNOWN = 'Colin_Powell';
const OTHER = 'Angelina_Jolie';
const STRANGER = 'George_W_Bush';

/** An LFW photo as an upload (playwright takes paths or buffers, not both in one call). */
function lfwFile(name: string, index: number): { name: string; mimeType: string; buffer: Buffer } {
  return { name: `${name}_${String(index).padStart(4, '0')}.jpg`, mimeType: 'image/jpeg', buffer: readLfwImage(name, index) };
}

describe.skipIf(!hasChromium || !hasLfw)('Gallery and Identify pages, end to end in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  async function api<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const r = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await r.json()) as { data?: T; errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data!;
  }

  beforeAll(async () => {
    // the fake camera shows another photo of OTHER, for enrollment by camera
    const video = await makeY4m(lfwImagePath(OTHER, 2), path.join(tempDir('gallery-camera'), 'camera.y4m'));
    ({ server, browser, page } = await openClient(video, { FACEGATE_ADMIN_KEY: ADMIN }));
  });

  afterAll(() => closeClient(server, browser));

  afterEach(() => {
    expect(browser.errors).toEqual([]);
  });

  const row = (name: string) => page.getByTestId('subject-row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });

  it('asks for a key, then creates a gallery and subjects and enrolls photos with a reason for each refusal', async () => {
    await page.goto(`${server.url}/gallery`);
    await page.getByRole('heading', { level: 1, name: 'Gallery' }).waitFor();
    await expect.poll(() => page.locator('.error-box[data-code=UNAUTHENTICATED] .error-message').textContent()).toMatch(/^The gallery needs an API key\./);
    await page.getByTestId('api-key-input').fill(ADMIN);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.getByText('No gallery yet').waitFor();

    await page.getByTestId('new-gallery-name').fill('front desk');
    await page.getByTestId('create-gallery').click();
    await expect.poll(() => page.getByTestId('gallery-notice').textContent()).toBe('Gallery front desk created.');
    await expect.poll(() => page.getByTestId('gallery-select').locator('option:checked').textContent()).toMatch(/^front desk/);

    for (const [name, external] of [['Colin Powell', 'colin'], ['Angelina Jolie', 'angelina']]) {
      await page.getByTestId('subject-name').fill(name!);
      await page.getByTestId('subject-external').fill(external!);
      await page.getByTestId('create-subject').click();
      await row(name!).waitFor();
    }
    await expect(row('Colin Powell').getByTestId('template-count').textContent()).resolves.toBe('0');

    await row('Colin Powell')
      .getByTestId('enroll-input')
      .setInputFiles([lfwFile(KNOWN, 1), { name: 'wall.jpg', mimeType: 'image/jpeg', buffer: await gradientJpeg() }]);
    const result = page.getByTestId('enroll-result');
    await expect.poll(() => result.getByRole('status').textContent(), { timeout: 20_000 }).toMatch(/^Colin Powell: 1 of 2 photos enrolled; the subject now has 1 template\./);
    const rejected = result.getByTestId('rejected-item');
    await expect(rejected.count()).resolves.toBe(1);
    await expect(rejected.getAttribute('data-reason')).resolves.toBe('NO_FACE');
    await expect(rejected.textContent()).resolves.toMatch(/^wall\.jpg: No face found \(NO_FACE\)/);
    await expect.poll(() => row('Colin Powell').getByTestId('template-count').textContent()).toBe('1');

    // The same face again for another subject is refused as a duplicate, naming who it matches.
    await row('Angelina Jolie').getByTestId('enroll-input').setInputFiles([lfwImagePath(OTHER, 1), lfwImagePath(KNOWN, 1)]);
    await expect.poll(() => result.getByRole('status').textContent(), { timeout: 20_000 }).toMatch(/^Angelina Jolie: 1 of 2 photos enrolled/);
    await expect(result.getByTestId('rejected-item').getAttribute('data-reason')).resolves.toBe('DUPLICATE_IDENTITY');
    await expect(result.getByTestId('rejected-item').textContent()).resolves.toMatch(/^Colin_Powell_0001\.jpg: Already enrolled as someone else: Colin Powell \(DUPLICATE_IDENTITY\)\. The face matches another subject \(similarity 1\.000 >= 0\.9\d+\)\.$/);
    await screenshot(page, 'gallery-enrolled');
  });

  it('enrolls a photo taken with the (fake) camera', async () => {
    await row('Angelina Jolie').getByTestId('enroll-camera').click();
    const take = page.getByRole('button', { name: 'Take photo' });
    await expect.poll(() => take.isEnabled(), { timeout: 15_000 }).toBe(true);
    await take.click();
    const result = page.getByTestId('enroll-result');
    await expect.poll(() => result.getByRole('status').textContent(), { timeout: 20_000 }).toMatch(/^Angelina Jolie: 1 of 1 photos enrolled; the subject now has 2 templates\./);
    await expect.poll(() => row('Angelina Jolie').getByTestId('template-count').textContent()).toBe('2');
    // the camera is off again: no preview left on the page
    await expect(page.locator('video').count()).resolves.toBe(0);
    await screenshot(page, 'gallery-camera-enrolled');
  });

  it('pages through subjects as a Relay connection', async () => {
    const { galleries } = await api<{ galleries: { edges: { node: { id: string } }[] } }>('{ galleries(first: 5) { edges { node { id } } } }');
    const galleryId = galleries.edges[0]!.node.id;
    for (let i = 0; i < 21; i++) await api('mutation($g: ID!, $i: SubjectInput!) { createSubject(galleryId: $g, input: $i) { id } }', { g: galleryId, i: { externalId: `visitor-${String(i).padStart(2, '0')}` } });
    await page.reload();
    await page.getByTestId('subjects').waitFor();
    await expect.poll(() => page.getByTestId('subjects').locator('caption').textContent()).toBe('23 subjects, 20 shown');
    await page.getByTestId('more-subjects').click();
    await expect.poll(() => page.getByTestId('subject-row').count()).toBe(23);
    await expect(page.getByTestId('more-subjects').count()).resolves.toBe(0);
  });

  it('identifies an enrolled person (MATCH, with candidates) and answers a stranger as unknown', async () => {
    await page.getByRole('link', { name: 'Identify' }).click();
    await page.getByRole('heading', { level: 1, name: 'Identify' }).waitFor();
    await expect.poll(() => page.getByTestId('gallery-select').locator('option:checked').textContent()).toMatch(/^front desk/);
    await page.getByTestId('identify-probe-file').setInputFiles(lfwImagePath(KNOWN, 2));
    await page.getByTestId('identify-button').click();
    const verdict = page.getByTestId('identify-verdict');
    await expect.poll(() => verdict.getAttribute('data-decision'), { timeout: 20_000 }).toBe('MATCH');
    await expect(verdict.textContent()).resolves.toMatch(/^✓MatchColin Powell, similarity 0\.9\d\d$/);
    const candidates = page.getByTestId('candidate');
    await expect(candidates.count()).resolves.toBe(2);
    await expect(candidates.first().textContent()).resolves.toMatch(/^1Colin Powellcolin0\.9/);
    await page.locator('[data-testid=identify-canvas][data-drawn=true]').waitFor();
    await screenshot(page, 'identify-match');

    await page.getByTestId('identify-probe-file').setInputFiles(lfwImagePath(STRANGER, 1));
    await page.getByTestId('identify-button').click();
    await expect.poll(() => verdict.getAttribute('data-decision'), { timeout: 20_000 }).toBe('NO_MATCH');
    await expect(page.getByTestId('identify-verdict-text').textContent()).resolves.toBe('No match');
    await screenshot(page, 'identify-unknown');
  });

  it('deletes a subject, says what was erased, and identification forgets it', async () => {
    await page.getByRole('link', { name: 'Gallery' }).click();
    await row('Colin Powell').waitFor();
    await row('Colin Powell').getByTestId('delete-subject').click();
    await row('Colin Powell').getByTestId('confirm-delete').click();
    await expect.poll(() => page.getByTestId('gallery-notice').textContent()).toBe('Colin Powell was deleted: 1 template and 0 stored images erased.');
    await expect.poll(() => row('Colin Powell').count()).toBe(0);
    await expect.poll(() => page.getByTestId('subjects').locator('caption').textContent()).toBe('22 subjects, 20 shown');

    await page.getByRole('link', { name: 'Identify' }).click();
    await page.getByTestId('identify-probe-file').setInputFiles(lfwImagePath(KNOWN, 2));
    await page.getByTestId('identify-button').click();
    await expect.poll(() => page.getByTestId('identify-verdict').getAttribute('data-decision'), { timeout: 20_000 }).toBe('NO_MATCH');
  });

  it('reads on a phone-width screen without sideways scrolling', async () => {
    const phone = await browser.newPage({ width: 390, height: 844 });
    try {
      // The key is kept per tab: a new tab asks again.
      await phone.goto(`${server.url}/gallery`);
      await phone.getByTestId('api-key-input').fill(ADMIN);
      await phone.getByRole('button', { name: 'Use key' }).click();
      await phone.getByTestId('subject-row').first().waitFor();
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      const wide = await phone.evaluate(() =>
        [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5).map((e) => `${e.tagName}.${e.className}`),
      );
      await screenshot(phone, 'phone-gallery');
      expect(wide).toEqual([]);
      expect(overflow).toBeLessThanOrEqual(0);
    } finally {
      await phone.close();
    }
  });
});
