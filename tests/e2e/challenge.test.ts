/**
 * The movement challenge on the Live page in Chromium: the fake camera films a still photo (each frame
 * with new noise, a small shift and scale, as a camera pointed at a print would see it). The page shows
 * the prompts and the progress, never a score, and the outcome: not completed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fromJpeg, perturbedStill, seededRandom, toJpeg } from '../../bench/challenge/frames.js';
import { hasLfw, lfwImagePath, lfwSkipReason } from '../support/fixtures.js';
import { buildClient, chromiumSkipReason, hasChromium, launchBrowser, makeY4mClip, screenshot, startServer, tempDir, type Browser, type TestServer } from './support.js';

if (!hasChromium) console.warn(`[facegate e2e] ${chromiumSkipReason}`);
if (!hasLfw) console.warn(`[facegate e2e] ${lfwSkipReason}`);

const PERSON = 'Colin_Powell';

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
    const clientDir = await buildClient();
    [server, browser] = await Promise.all([startServer(clientDir), launchBrowser({ fakeVideo: video })]);
    page = await browser.newPage();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

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
});
