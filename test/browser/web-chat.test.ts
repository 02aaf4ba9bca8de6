import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.js';
import { createTestBot, silentLogger, type TestBot } from '../support/bot.js';

/** Debian's chromium, as on CI (never a downloaded browser). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('web chat in a real browser', () => {
  let bot: TestBot;
  let app: FastifyInstance;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    bot = await createTestBot('pglite');
    app = await buildServer({ bot, logger: silentLogger });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await bot?.drop();
  });

  const lastBotMessage = (page: Page) => page.getByTestId('msg-out').last();

  it('holds an Arabic conversation with buttons, typing, and history kept across a reload', async () => {
    const context = await browser.newContext({ locale: 'ar-SA' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    expect(await page.getAttribute('html', 'dir')).toBe('rtl');

    // Empty history: a welcome hint with «ابدأ».
    await page.getByTestId('choice').filter({ hasText: 'ابدأ' }).click();
    await expect.poll(() => lastBotMessage(page).textContent()).toContain('كيف أخدمكم');
    const choices = page.getByTestId('choice');
    await expect.poll(() => choices.allTextContents()).toContain('الأسئلة الشائعة');

    await choices.filter({ hasText: 'الأسئلة الشائعة' }).click();
    await expect.poll(() => lastBotMessage(page).textContent()).toContain('اختاروا السؤال');

    await page.getByTestId('chat-input').fill('متى يردون على طلبي؟');
    await page.getByTestId('chat-input').press('Enter');
    await expect.poll(() => lastBotMessage(page).textContent()).toContain('لا تقل عن أسبوعين');
    expect(await page.getByTestId('msg-in').last().textContent()).toBe('متى يردون على طلبي؟');

    // HTML typed by the visitor is shown as text, never interpreted.
    await page.getByTestId('chat-input').fill('<img src=x onerror=alert(1)>');
    await page.getByTestId('chat-send').click();
    await expect
      .poll(() => page.getByTestId('msg-in').last().textContent())
      .toBe('<img src=x onerror=alert(1)>');
    expect(await page.locator('#chat-log img').count()).toBe(0);

    await page.reload();
    await expect.poll(() => page.getByTestId('msg-in').count()).toBe(4);
    expect(await page.getByTestId('msg-in').nth(2).textContent()).toBe('متى يردون على طلبي؟');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says at once when the flood limit refuses a message, then sends it by itself, once', async () => {
    const context = await browser.newContext({ locale: 'ar-SA' });
    const page = await context.newPage();
    let refusals = 0;
    const posted: string[] = [];
    await page.route('**/api/chat/messages', async (route) => {
      posted.push(route.request().postData() ?? '');
      // The server's flood limit, as it answers: the first send of this message is refused.
      if (refusals++ === 0)
        return route.fulfill({
          status: 429,
          headers: { 'retry-after': '1', 'content-type': 'application/json' },
          body: JSON.stringify({ error: 'rate_limited' }),
        });
      return route.continue();
    });
    await page.goto(url);
    await page.getByTestId('chat-input').fill('متى يردون على طلبي؟');
    await page.getByTestId('chat-input').press('Enter');
    // No silent minutes of «sending»: the reason is shown right away…
    await expect
      .poll(() => page.getByTestId('chat-error').textContent(), { timeout: 2000 })
      .toContain('رسائل كثيرة');
    // …and the same message (same id) goes by itself after the retry-after, answered once.
    await expect
      .poll(() => lastBotMessage(page).textContent(), { timeout: 10_000 })
      .toContain('لا تقل عن أسبوعين');
    expect(await page.getByTestId('chat-error').count()).toBe(0);
    expect(posted).toHaveLength(2);
    expect(posted[0]).toBe(posted[1]);
    expect(await page.getByTestId('msg-in').count()).toBe(1);
    await context.close();
  });
});
