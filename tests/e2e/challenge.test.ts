/**
 * The movement challenge on the Live page in Chromium: the fake camera films a still photo (each frame
 * with new noise, a small shift and scale, as a camera pointed at a print would see it). The page shows
 * the prompts and the progress, never a score, and the outcome: not completed. Against a reference photo
 * (the challenge ticked), and against an enrolled subject (picked with an API key; the challenge is on by
 * default there).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fromJpeg, perturbedStill, seededRandom, toJpeg } from '../../bench/challenge/frames.js';
import { hasLfw, lfwImagePath, lfwSkipReason, readLfwImage } from '../support/fixtures.js';
import { call, CREATE_GALLERY, CREATE_SUBJECT, ENROLL, images } from '../server/gallery-client.js';
import { chromiumSkipReason, closeClient, hasChromium, makeY4mClip, openClient, screenshot, tempDir, type Browser, type TestServer } from './support.js';

if (!hasChromium) console.warn(`[facegate e2e] ${chromiumSkipReason}`);
if (!hasLfw) console.warn(`[facegate e2e] ${lfwSkipReason}`);

const PERSON = 'Colin_Powell';
const ADMIN = 'e2e-admin-key-challenge-0123456789';

describe.skipIf(!hasChromium || !hasLfw)('live movement challenge in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const photo = await fromJpeg(readFileSync(lfwImagePath(PERSON, 3)));
    const random = seededRandom(7);
    const frames: Buffer[] = [];
    for (let i = 0; i < 30; i++) frames.push(await toJpeg(await perturbedStill(photo, random), 92));
    const video = await makeY4mClip(frames, path.join(tempDir('camera-challenge'), 'still-photo.y4m'));
    ({ server, browser, page } = await openClient(video, { FACEGATE_ADMIN_KEY: ADMIN }));
    // The person enrolled in a gallery, for the subject mode.
    const gallery = await call<{ createGallery: { id: string } }>(server.url, ADMIN, CREATE_GALLERY, { input: { name: 'e2e doors' } });
    const subject = await call<{ createSubject: { id: string } }>(server.url, ADMIN, CREATE_SUBJECT, {
      galleryId: gallery.body.data!.createGallery.id,
      input: { externalId: 'cp-1', displayName: 'Colin Powell' },
    });
    const enrolled = await call<{ enrollFaces: { enrolled: unknown[] } }>(server.url, ADMIN, ENROLL, { subjectId: subject.body.data!.createSubject.id }, images([{ bytes: readLfwImage(PERSON, 1) }, { bytes: readLfwImage(PERSON, 2) }]));
    expect(enrolled.body.data?.enrollFaces.enrolled.length).toBeGreaterThanOrEqual(1);
  }, 240_000);

  afterAll(() => closeClient(server, browser));

  afterEach(() => {
    expect(browser.errors).toEqual([]);
  });

  it('shows the prompts and progress, no score, and that a filmed still photo does not complete the challenge', async () => {
    await page.goto(`${server.url}/live`);
    await page.getByRole('heading', { level: 1, name: 'Live verification' }).waitFor();
    await expect(page.getByTestId('challenge-scope').textContent()).resolves.toMatch(/not presentation attack detection tested under ISO\/IEC 30107-3/);
    await page.getByTestId('live-reference-file').setInputFiles(lfwImagePath(PERSON, 1));
    await page.getByTestId('live-challenge-toggle').check();
    await page.getByRole('button', { name: 'Start' }).click();

    // A step is revealed with its deadline: "Turn your head to your left, then back" / "Blink once".
    await expect
      .poll(async () => (await page.getByTestId('challenge-prompt').textContent()) ?? '', { timeout: 20_000, interval: 100 })
      .toMatch(/^(Turn your head to your (left|right), then back|Blink once)$/);
    await expect(page.getByTestId('challenge-progress').textContent()).resolves.toMatch(/^Step 1 of 3 · \d+ s left$/);
    await screenshot(page, 'live-challenge-step');
    // Never a similarity during a challenge.
    await expect(page.getByTestId('live-verdict').textContent()).resolves.not.toMatch(/\d\.\d/);

    const outcome = page.getByTestId('challenge-outcome');
    await outcome.waitFor({ timeout: 20_000 });
    await expect(outcome.getAttribute('data-result')).resolves.toMatch(/^(CHALLENGE_FAILED|INCONCLUSIVE)$/);
    await expect(page.getByTestId('challenge-prompt').textContent()).resolves.toMatch(/^(Challenge not completed|Inconclusive)/);
    await expect(outcome.textContent()).resolves.toMatch(/0 of 3 steps done/);
    await expect.poll(() => page.getByTestId('live-state').textContent(), { timeout: 5_000 }).toBe('Stopped');
    // The session ended with its outcome: that is no error.
    expect((await page.locator('[role=alert]').allTextContents()).join('').trim()).toBe('');
    await screenshot(page, 'live-challenge-outcome');
    const text = (await page.textContent('body')) ?? '';
    expect(text).not.toMatch(/liveness|anti-spoof/i);
  }, 90_000);

  it('against an enrolled subject: picked with an API key, the challenge on by default, the same prompts and outcome', async () => {
    await page.goto(`${server.url}/live`);
    await page.getByRole('heading', { level: 1, name: 'Live verification' }).waitFor();
    await page.getByTestId('live-target-subject').check();
    await expect(page.getByTestId('live-challenge-toggle').isChecked()).resolves.toBe(true);
    await page.getByTestId('api-key-input').fill(ADMIN);
    await page.getByRole('button', { name: 'Use key' }).click();
    await expect.poll(async () => (await page.getByTestId('live-subject-select').textContent()) ?? '', { timeout: 10_000 }).toBe('Colin Powell (cp-1)');
    await page.getByRole('button', { name: 'Start' }).click();
    await expect(page.getByTestId('live-subject').textContent({ timeout: 10_000 })).resolves.toMatch(/^Enrolled subject Colin Powell \(cp-1\) · 2 templates · movement challenge$/);
    await expect
      .poll(async () => (await page.getByTestId('challenge-prompt').textContent()) ?? '', { timeout: 20_000, interval: 100 })
      .toMatch(/^(Turn your head to your (left|right), then back|Blink once)$/);
    await expect(page.getByTestId('live-verdict').textContent()).resolves.not.toMatch(/\d\.\d/);
    await screenshot(page, 'live-challenge-subject-step');
    const outcome = page.getByTestId('challenge-outcome');
    await outcome.waitFor({ timeout: 20_000 });
    await expect(outcome.getAttribute('data-result')).resolves.toMatch(/^(CHALLENGE_FAILED|INCONCLUSIVE)$/);
    await expect.poll(() => page.getByTestId('live-state').textContent(), { timeout: 5_000 }).toBe('Stopped');
    expect((await page.locator('[role=alert]').allTextContents()).join('').trim()).toBe('');
    await screenshot(page, 'live-challenge-subject-outcome');
    expect((await page.textContent('body')) ?? '').not.toMatch(/liveness|anti-spoof/i);
  }, 90_000);
});
