import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bot, createBot } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { buildServer } from '../../src/http/server.js';
import { createStaffAccount } from '../../src/staff/storage/accounts.js';
import { staffDb } from '../../src/staff/storage/schema.js';
import { createSupportRequest } from '../../src/storage/repositories/requests.js';
import { silentLogger } from '../support/bot.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';

/** Debian's chromium, as on CI (never a downloaded browser). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = 'test-artifacts/screenshots';

const STAFF_REPLY = 'مرحبًا، كيف أستطيع مساعدتكم؟';
const XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';
const WHATSAPP_QR =
  '2@Q1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHhJjKkLl,ZxCvBnMmQwErTyUiOpAsDfGhJkLzXcVbNm1234567890=,AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/==,qwertyuiopasdfghjklzxcvbnm1234567890QWE=';

/**
 * The staff console in Debian's chromium against the real server: web chat, staff API and
 * console, the queues (BullMQ on an embedded PGlite) that deliver staff replies and notices.
 */
describe('staff console in a real browser', () => {
  let database: TestDatabase;
  let bot: Bot;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  const contexts: BrowserContext[] = [];
  /** Page errors and CSP refusals, per page; every test ends by checking they stayed empty. */
  const problems: string[] = [];

  const admin = {
    email: 'admin@example.org',
    password: 'correct horse battery staple',
    name: 'نورة المشرفة',
  };
  const agent = { email: 'agent@example.org', password: 'another long password 42', name: 'خالد الموظف' };
  const supervisor = {
    email: 'supervisor@example.org',
    password: 'a third long password 7',
    name: 'سارة المشرفة',
  };

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    database = await openTestDatabase('pglite');
    bot = await createBot({
      config: loadConfig({ LOG_LEVEL: 'silent' }),
      logger: silentLogger,
      database: database.handle,
      jobs: { embeddedDataDir: 'memory://' },
    });
    await bot.jobs?.start();
    app = await buildServer({
      bot,
      logger: silentLogger,
      staff: {
        db: bot.database.db,
        logger: silentLogger,
        control: bot.control,
        cookieSecure: false,
        eventsIntervalMs: 200,
        queues: bot.jobs ? [bot.jobs.outbound.queue, bot.jobs.followUps.queue] : [],
        whatsappStatus: () => ({
          state: 'qr',
          qr: WHATSAPP_QR,
          reason: 'waiting for the QR code to be scanned',
        }),
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const db = staffDb(bot.database.db);
    await createStaffAccount(db, { ...admin, role: 'admin' });
    await createStaffAccount(db, { ...agent, role: 'agent' });
    await createStaffAccount(db, { ...supervisor, role: 'supervisor' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await app?.close();
    await bot?.close(); // stops the queues too
    await database?.drop();
  });

  async function newPage(name: string, options: { width?: number; height?: number } = {}): Promise<Page> {
    const context = await browser.newContext({
      locale: 'ar-SA',
      viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    });
    // Under the test's own 30 s: a step that cannot happen fails with the locator it waited for,
    // not with an anonymous test timeout (on CI only the log's tail survives).
    context.setDefaultTimeout(15_000);
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`${name}: ${error.message}`));
    page.on('console', (message) => {
      // 401/409 answers are expected (before login, a refused takeover); a CSP refusal is not.
      const text = message.text();
      if (message.type() === 'error' && !text.startsWith('Failed to load resource'))
        problems.push(`${name}: ${text}`);
    });
    return page;
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });

  async function signIn(page: Page, who: { email: string; password: string }) {
    await page.goto(`${base}/staff/`);
    await page.getByTestId('login-email').fill(who.email);
    await page.getByTestId('login-password').fill(who.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('nav-inbox').waitFor();
  }

  async function say(page: Page, text: string) {
    const outBefore = await page.getByTestId('msg-out').count();
    await page.getByTestId('chat-input').fill(text);
    await page.getByTestId('chat-input').press('Enter');
    await expect.poll(() => page.getByTestId('msg-out').count()).toBeGreaterThan(outBefore);
  }

  const lastOut = (page: Page) => page.getByTestId('msg-out').last().textContent();
  // Page-side code as strings: the test program is compiled without the DOM library.
  const visitorOf = (page: Page) => page.evaluate<string>(`localStorage.getItem('aiou-chat-visitor')`);
  const xss = (page: Page) => page.evaluate<unknown>('window.__xss');
  const focusedId = (page: Page) => page.evaluate<string | undefined>('document.activeElement?.id');
  const isFocused = (page: Page, testId: string) =>
    page.getByTestId(testId).evaluate((el) => el === el.ownerDocument.activeElement);

  async function contactOf(visitorId: string) {
    return bot.database.db
      .selectFrom('channel_identities')
      .innerJoin('conversations', 'conversations.identity_id', 'channel_identities.id')
      .select(['channel_identities.contact_id', 'conversations.id as conversation_id'])
      .where('channel_identities.channel', '=', 'web')
      .where('channel_identities.external_id', '=', visitorId)
      .orderBy('conversations.created_at', 'desc')
      .executeTakeFirstOrThrow();
  }

  /**
   * How each given number is drawn inside an element: its characters as they appear on screen,
   * left to right (a number never wraps). `1*******08` reads right when it comes back as written;
   * the bidi algorithm left to itself draws it `08*******1` in an Arabic sentence.
   */
  const drawnNumbers = (locator: ReturnType<Page['getByTestId']>, numbers: string[]) =>
    locator.evaluate((root, wanted) => {
      const doc = root.ownerDocument;
      const walker = doc.createTreeWalker(root, 4 /* NodeFilter.SHOW_TEXT */);
      // Text nodes (the test program is compiled without the DOM library's types).
      const texts: Array<{ data: string }> = [];
      for (let node = walker.nextNode(); node; node = walker.nextNode())
        texts.push(node as unknown as { data: string });
      return wanted.map((number) => {
        for (const node of texts) {
          const at = node.data.indexOf(number);
          if (at < 0) continue;
          const chars = [...number].map((char, i) => {
            const range = doc.createRange();
            range.setStart(node as unknown as Parameters<typeof range.setStart>[0], at + i);
            range.setEnd(node as unknown as Parameters<typeof range.setStart>[0], at + i + 1);
            return { char, x: range.getBoundingClientRect().x };
          });
          return chars
            .sort((a, b) => a.x - b.x)
            .map(({ char }) => char)
            .join('');
        }
        return null;
      });
    }, numbers);

  let staff: Page;
  let beneficiary: Page;
  /** The request of the status test, which the reassignment test hands on. */
  let requestId: string;

  it('signs in (Arabic, RTL) and keeps the session across a reload', async () => {
    staff = await newPage('staff');
    await staff.goto(`${base}/staff/`);
    expect(await staff.getAttribute('html', 'dir')).toBe('rtl');
    expect(await staff.getAttribute('html', 'lang')).toBe('ar');
    await staff.getByTestId('login-email').waitFor();
    await shot(staff, '01-login');

    // A wrong password is refused with a clear message; the right one signs in.
    await staff.getByTestId('login-email').fill(admin.email);
    await staff.getByTestId('login-password').fill('not the password at all');
    await staff.getByTestId('login-submit').click();
    await expect.poll(() => staff.getByTestId('login-notice').textContent()).toContain('غير صحيحة');
    await signIn(staff, admin);
    await expect.poll(() => staff.getByTestId('live').getAttribute('class')).toContain('live--on');
    expect(await staff.getByTestId('tab-waiting').getAttribute('aria-selected')).toBe('true');

    await staff.reload();
    await staff.getByTestId('nav-inbox').waitFor();
    expect(await staff.getByTestId('logout').isVisible()).toBe(true);
    expect(problems).toEqual([]);
  });

  it('shows an escalation live, takes it over, and the reply reaches the web chat', async () => {
    beneficiary = await newPage('beneficiary', { width: 420, height: 860 });
    await beneficiary.goto(`${base}/`);
    expect(await staff.getByTestId('inbox-row').count()).toBe(0);

    await say(beneficiary, 'أبي أكلم موظف');
    await expect.poll(() => lastOut(beneficiary)).toContain('تم تحويل محادثتكم');

    // No reload: the server-sent event re-fetches the list.
    const row = staff.getByTestId('inbox-row').first();
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('المحادثة على الموقع');
    expect(await row.textContent()).toContain('بانتظار موظف');
    await expect.poll(() => staff.getByTestId('waiting-badge').textContent()).toBe('1');
    await shot(staff, '02-inbox-live');

    await row.click();
    await staff.getByTestId('takeover').click();
    await expect.poll(() => staff.getByTestId('conv-notice').textContent()).toContain('توليتم المحادثة');
    // The notice shows as soon as the server agrees; the reply box gets the focus once the
    // conversation is drawn again with the reply enabled, a moment later.
    await expect.poll(() => isFocused(staff, 'reply-input')).toBe(true);

    await staff.getByTestId('reply-input').fill(STAFF_REPLY);
    await staff.getByTestId('reply-send').click();
    const lastMessage = staff.getByTestId('conv-message').last();
    await expect.poll(() => lastMessage.getByTestId('message-text').textContent()).toBe(STAFF_REPLY);
    expect(await lastMessage.getAttribute('data-sender')).toBe('staff');

    // The web chat polls its history: the staff reply appears, marked as from staff…
    await expect.poll(() => lastOut(beneficiary), { timeout: 10_000 }).toBe(STAFF_REPLY);
    expect(await beneficiary.locator('.msg--staff').count()).toBe(1);
    // …and fetching it was its delivery, which the console shows.
    await expect
      .poll(() => staff.getByTestId('delivery-state').last().getAttribute('data-state'), { timeout: 10_000 })
      .toBe('sent');
    expect(await staff.getByTestId('delivery-state').last().textContent()).toBe('أُرسلت');
    await shot(staff, '03-conversation-reply');
    await shot(beneficiary, '04-web-chat-staff-reply');
    expect(problems).toEqual([]);
  });

  it('hands back to the bot, which answers the beneficiary again', async () => {
    await staff.getByTestId('handback').click();
    await expect.poll(() => staff.getByTestId('conv-notice').textContent()).toContain('أُعيدت المحادثة');
    // The beneficiary is told and gets the menu (through polling, with its buttons).
    await expect
      .poll(() => beneficiary.getByTestId('choice').allTextContents(), { timeout: 10_000 })
      .toContain('تقديم طلب دعم');

    await say(beneficiary, 'مرحبا');
    await expect.poll(() => lastOut(beneficiary)).toContain('كيف أخدمكم');
    expect(await beneficiary.getByTestId('choice').allTextContents()).toContain('التحدث مع موظف');
    await shot(beneficiary, '05-web-chat-bot-again');
    expect(problems).toEqual([]);
  });

  it('changes a request’s status; the history shows it and the beneficiary is notified', async () => {
    const { contact_id, conversation_id } = await contactOf(await visitorOf(beneficiary));
    const request = await createSupportRequest(bot.database.db, {
      contactId: contact_id,
      conversationId: conversation_id,
      fullName: 'فاطمة أحمد',
      nationalId: '1000000008',
      mobileE164: '+966512345678',
      city: 'الرياض',
      supportType: 'food',
      familySize: 5,
      monthlyIncome: 2500,
      description: 'أسرة من خمسة أفراد تحتاج إلى سلة غذائية.',
    });
    requestId = request.id;

    await staff.getByTestId('nav-requests').click();
    await staff.getByTestId('filter-q').fill(request.reference);
    await staff.getByTestId('filter-apply').click();
    await expect.poll(() => staff.getByTestId('request-row').count()).toBe(1);
    expect(await staff.getByTestId('request-row').textContent()).toContain('دعم غذائي');
    await staff.getByTestId('request-link').click();

    // Masked until revealed (an audited action).
    const nationalId = staff.getByTestId('national-id');
    await nationalId.waitFor();
    expect(await nationalId.textContent()).not.toContain('1000000008');
    await staff.getByTestId('reveal-national_id').click();
    await expect.poll(() => nationalId.textContent()).toBe('1000000008');

    // Only the statuses that may follow «received» are offered.
    expect(await staff.getByTestId('status-select').locator('option').allTextContents()).toEqual([
      'قيد الدراسة لدى لجنة البحث',
      'ملغى',
    ]);
    await staff.getByTestId('status-select').selectOption('under_review');
    await staff.getByTestId('status-note').fill('أحيل الطلب إلى لجنة البحث.');
    await staff.getByTestId('status-submit').click();
    await expect
      .poll(() => staff.getByTestId('request-notice').textContent())
      .toContain('قيد الدراسة لدى لجنة البحث');
    await expect.poll(() => staff.getByTestId('history-entry').count()).toBe(2);
    expect(await staff.getByTestId('history-entry').last().textContent()).toContain(
      'أحيل الطلب إلى لجنة البحث.',
    );
    expect(await staff.getByTestId('history-entry').last().textContent()).toContain(admin.name);
    expect(await staff.getByTestId('status-select').locator('option').allTextContents()).toEqual([
      'مقبول',
      'غير مقبول',
      'بحاجة إلى استكمال بيانات',
    ]);
    await shot(staff, '06-request-status');

    // The notice is a queued follow-up, delivered to the web chat on its next poll.
    await expect
      .poll(() => lastOut(beneficiary), { timeout: 15_000 })
      .toContain(`تحديث على طلبكم رقم ${request.reference}`);
    await shot(beneficiary, '07-web-chat-status-notice');
    expect(problems).toEqual([]);
  });

  it('lets a supervisor or admin pick the request’s handler; an agent has no such choice', async () => {
    // The admin is still on the request, which their status change made theirs.
    const select = staff.getByTestId('assign-select');
    await select.waitFor();
    expect(await select.inputValue()).not.toBe('');
    expect(await select.locator('option').allTextContents()).toEqual([
      'بلا موظف مسؤول',
      `${admin.name} (أنتم)`,
      `${agent.name} (موظف)`,
      `${supervisor.name} (مشرف)`,
    ]);
    await select.selectOption({ label: `${agent.name} (موظف)` });
    await staff.getByTestId('assign-submit').click();
    await expect
      .poll(() => staff.getByTestId('request-notice').textContent())
      .toContain(`أُسند الطلب إلى ${agent.name}`);
    await expect.poll(() => staff.getByTestId('assign-select').inputValue()).not.toBe('');
    expect(await staff.getByTestId('assign-select').locator('option:checked').textContent()).toBe(
      `${agent.name} (موظف)`,
    );
    // The change of handler is listed on the request's page, with who made it.
    await expect
      .poll(() => staff.getByTestId('assignment-entry').last().textContent())
      .toContain(`إلى ${agent.name}`);
    expect(await staff.getByTestId('assignment-entry').last().textContent()).toContain(
      `بواسطة ${admin.name}`,
    );
    await shot(staff, '07b-request-assign');

    // The agent, now its handler, may change its status, but not pick its handler.
    const agentPage = await newPage('agent');
    await signIn(agentPage, agent);
    await agentPage.goto(`${base}/staff/#/requests/${requestId}`);
    await agentPage.getByTestId('status-select').waitFor();
    expect(await agentPage.getByTestId('assign-form').count()).toBe(0);
    expect(await agentPage.getByTestId('assign-select').count()).toBe(0);
    await agentPage.context().close();
    expect(problems).toEqual([]);
  });

  it('shows a hostile message as text, and names the colleague who already holds a conversation', async () => {
    const other = await newPage('beneficiary-2', { width: 420, height: 860 });
    await other.goto(`${base}/`);
    await say(other, 'أبي أكلم موظف');
    await other.getByTestId('chat-input').fill(XSS);
    await other.getByTestId('chat-input').press('Enter');
    await expect.poll(() => other.getByTestId('msg-in').last().textContent()).toBe(XSS);

    // Another member of staff takes it over first (through the API, as their console would).
    const { conversation_id } = await contactOf(await visitorOf(other));
    const signIn2 = await app.inject({ method: 'POST', url: '/api/staff/login', payload: agent });
    const cookie = signIn2.cookies.find((c) => c.name === 'staff_session')?.value as string;
    const taken = await app.inject({
      method: 'POST',
      url: `/api/staff/conversations/${conversation_id}/takeover`,
      cookies: { staff_session: cookie },
      headers: { 'x-csrf-token': signIn2.json().csrfToken },
      payload: {},
    });
    expect(taken.statusCode).toBe(200);

    await staff.getByTestId('nav-inbox').click();
    await staff.getByTestId('tab-open').click();
    const row = staff.locator(`[data-testid="inbox-row"][data-conversation-id="${conversation_id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getByTestId('inbox-last-message').textContent()).toContain(XSS);
    await row.click();

    const text = staff.getByTestId('message-text').filter({ hasText: '<script>' });
    await expect.poll(() => text.textContent()).toBe(XSS);
    expect(await staff.locator('[data-testid="conv-log"] img, [data-testid="conv-log"] script').count()).toBe(
      0,
    );
    expect(await xss(staff)).toBeUndefined();
    expect(await xss(other)).toBeUndefined();

    await staff.getByTestId('takeover').click();
    await expect.poll(() => staff.getByTestId('notice-error').textContent()).toContain(agent.name);
    expect(await staff.getByTestId('notice-error').textContent()).toContain('لا يمكن تولّي المحادثة');
    await shot(staff, '08-xss-as-text-and-already-assigned');

    // An admin may move it to another colleague.
    await staff.getByTestId('transfer-select').selectOption({ label: `${supervisor.name} (مشرف)` });
    await staff.getByTestId('transfer-submit').click();
    await expect
      .poll(() => staff.getByTestId('conv-notice').textContent())
      .toContain('تم تحويل المحادثة إلى');
    await expect.poll(() => staff.getByTestId('conv-assigned').textContent()).toContain(supervisor.name);
    expect(await xss(staff)).toBeUndefined();
    expect(problems).toEqual([]);
  });

  it('draws the reports and the WhatsApp QR', async () => {
    // Ratings over three weeks, one of them low with a hostile comment.
    const { contact_id, conversation_id } = await contactOf(await visitorOf(beneficiary));
    const day = 24 * 60 * 60 * 1000;
    const ratings: Array<[number, string | null, number]> = [
      [5, 'خدمة ممتازة', 1],
      [4, null, 2],
      [1, '<img src=x onerror="window.__xss=3">سيئ', 3],
      [5, null, 9],
      [3, null, 16],
    ];
    await bot.database.db
      .insertInto('ratings')
      .values(
        ratings.map(([score, comment, daysAgo]) => ({
          contact_id,
          conversation_id,
          request_id: null,
          score,
          comment,
          flagged: score <= 2,
          created_at: new Date(Date.now() - daysAgo * day),
        })),
      )
      .execute();

    await staff.getByTestId('nav-reports').click();
    await staff.getByTestId('chart-distribution').locator('svg').waitFor();
    expect(await staff.getByTestId('stat-count').textContent()).toContain('5');
    expect(await staff.getByTestId('stat-csat').textContent()).toContain('60');
    expect(await staff.getByTestId('chart-distribution').locator('rect.chart-bar').count()).toBe(5);
    expect(
      await staff.getByTestId('chart-trend').locator('circle.chart-point').count(),
    ).toBeGreaterThanOrEqual(3);
    expect(await staff.getByTestId('chart-status').locator('rect.chart-bar').count()).toBe(7);
    expect(await staff.getByTestId('low-score-comment').textContent()).toBe(
      '<img src=x onerror="window.__xss=3">سيئ',
    );
    expect(await staff.locator('[data-testid="low-scores"] img').count()).toBe(0);
    expect(await xss(staff)).toBeUndefined();
    expect(await staff.getByTestId('export-ratings').getAttribute('href')).toBe(
      '/api/staff/reports/ratings.csv',
    );
    await shot(staff, '09-reports');

    await staff.getByTestId('nav-admin').click();
    const qr = staff.getByTestId('whatsapp-qr');
    await qr.waitFor();
    expect(await qr.locator('path').getAttribute('d')).toMatch(/^M\d/);
    await expect.poll(() => staff.getByTestId('account-row').count()).toBe(3);
    await expect.poll(() => staff.getByTestId('audit-table').locator('tbody tr').count()).toBeGreaterThan(3);
    await shot(staff, '10-admin');
    expect(problems).toEqual([]);

    // Bull Board, for admins: the bot's two queues on the embedded backend.
    await staff.getByTestId('queues-link').click();
    await staff.waitForURL(/\/staff\/queues\/$/);
    await staff.getByText('follow-ups', { exact: false }).first().waitFor();
    await staff.getByText('outbound', { exact: false }).first().waitFor();
    await staff.getByText('Loading...').waitFor({ state: 'hidden' });
    await shot(staff, '11-queues');
    await staff.goBack();
    await staff.getByTestId('whatsapp-qr').waitFor();
  });

  it('switches to English and back, remembering the choice across a reload', async () => {
    await staff.getByTestId('nav-inbox').click();
    await staff.getByTestId('lang-toggle').click();
    expect(await staff.getAttribute('html', 'lang')).toBe('en');
    expect(await staff.getAttribute('html', 'dir')).toBe('ltr');
    expect(await staff.getByTestId('nav-inbox').textContent()).toContain('Inbox');
    expect(await isFocused(staff, 'lang-toggle')).toBe(true);
    await staff.reload();
    await staff.getByTestId('nav-inbox').waitFor();
    expect(await staff.getAttribute('html', 'dir')).toBe('ltr');
    expect(await staff.getByTestId('tab-open').textContent()).toBe('All open');
    await shot(staff, '11-english');

    await staff.getByTestId('lang-toggle').click();
    expect(await staff.getAttribute('html', 'lang')).toBe('ar');
    expect(await staff.getAttribute('html', 'dir')).toBe('rtl');
    expect(await staff.getByTestId('nav-inbox').textContent()).toContain('صندوق المحادثات');
    expect(problems).toEqual([]);
  });

  it('fits a phone screen in one column and works from the keyboard', async () => {
    const phone = await newPage('phone', { width: 390, height: 844 });
    await signIn(phone, admin);
    await phone.getByTestId('tab-open').click();
    await phone.getByTestId('inbox-row').first().waitFor();
    const overflow = () => phone.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(await overflow()).toBeLessThanOrEqual(0);
    await shot(phone, '12-phone-inbox');

    // On a fresh page the skip link is the first stop, and it moves focus to the content.
    await phone.reload();
    await phone.getByTestId('inbox-row').first().waitFor();
    await phone.keyboard.press('Tab');
    expect(await focusedId(phone)).toBe('skip-link');
    await phone.keyboard.press('Enter');
    expect(await focusedId(phone)).toBe('main');

    await phone.getByTestId('inbox-row').first().click();
    await phone.getByTestId('conv-log').waitFor();
    await phone.getByTestId('conv-message').first().waitFor();
    const [actions, main, side] = await Promise.all([
      phone.getByTestId('conv-actions').boundingBox(),
      phone.locator('.conv-main').boundingBox(),
      phone.locator('.conv-side').boundingBox(),
    ]);
    // One column: the actions (take over…) first, then the conversation, then the side panel.
    expect((actions?.y ?? 0) + (actions?.height ?? 0)).toBeLessThanOrEqual((main?.y ?? 0) + 1);
    expect(side?.y ?? 0).toBeGreaterThan((main?.y ?? 0) + (main?.height ?? 0) - 1);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await shot(phone, '13-phone-conversation');
    expect(problems).toEqual([]);
  });

  it('draws masked numbers left to right inside Arabic text, in the inbox and the conversation', async () => {
    const third = await newPage('beneficiary-3', { width: 420, height: 860 });
    await third.goto(`${base}/`);
    await say(third, 'السلام عليكم');
    await say(third, 'أبي أكلم موظف');
    await third.getByTestId('chat-input').fill('جوالي 0551234567 وهويتي 1000000008 أرجو الاتصال');
    await third.getByTestId('chat-input').press('Enter');
    await expect.poll(() => third.getByTestId('msg-in').count()).toBe(3);
    const { conversation_id } = await contactOf(await visitorOf(third));

    await staff.getByTestId('nav-inbox').click();
    await staff.getByTestId('tab-waiting').click();
    const row = staff.locator(`[data-testid="inbox-row"][data-conversation-id="${conversation_id}"]`);
    await expect
      .poll(() => row.getByTestId('inbox-last-message').textContent(), { timeout: 10_000 })
      .toContain('+9665******67');
    const numbers = ['+9665******67', '1*******08'];
    // Left to itself, the bidi algorithm draws «67******9665+» and «08*******1».
    expect(await drawnNumbers(row.getByTestId('inbox-last-message'), numbers)).toEqual(numbers);
    await row.click();
    const bubble = staff.getByTestId('message-text').filter({ hasText: 'جوالي' });
    await expect.poll(() => bubble.textContent()).toBe('جوالي +9665******67 وهويتي 1*******08 أرجو الاتصال');
    expect(await drawnNumbers(bubble, numbers)).toEqual(numbers);
    // Where the beneficiary asked for staff, in words rather than the flow's id.
    expect(await staff.getByTestId('escalation-from').textContent()).toBe(
      'كان المستفيد في: القائمة الرئيسية',
    );
    await shot(staff, '14-masked-numbers-rtl');
    await third.context().close();
    expect(problems).toEqual([]);
  });

  it('sends with Enter (Shift+Enter is a new line) and asks before closing a conversation', async () => {
    // The conversation of the previous test, still open on the staff page.
    await staff.getByTestId('takeover').click();
    await expect.poll(() => staff.getByTestId('conv-notice').textContent()).toContain('توليتم المحادثة');
    expect(await staff.getByTestId('send-hint').textContent()).toContain('Enter');
    const input = staff.getByTestId('reply-input');
    await input.fill('السطر الأول');
    await input.press('Shift+Enter');
    await input.pressSequentially('السطر الثاني');
    expect(await input.inputValue()).toBe('السطر الأول\nالسطر الثاني');
    const before = await staff.getByTestId('conv-message').count();
    await input.press('Enter');
    await expect.poll(() => staff.getByTestId('conv-message').count()).toBe(before + 1);
    expect(await staff.getByTestId('message-text').last().textContent()).toBe('السطر الأول\nالسطر الثاني');
    expect(await input.inputValue()).toBe('');

    // Closing asks first; «تراجع» (or Escape) leaves the conversation as it was.
    await staff.getByTestId('close').click();
    const dialog = staff.getByTestId('confirm-dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('إغلاق المحادثة؟');
    expect(await isFocused(staff, 'confirm-cancel')).toBe(true);
    await shot(staff, '15-close-confirm');
    await staff.getByTestId('confirm-cancel').click();
    await dialog.waitFor({ state: 'detached' });
    expect(await isFocused(staff, 'close')).toBe(true);
    await staff.getByTestId('close').click();
    await staff.getByTestId('confirm-dialog').waitFor();
    await staff.keyboard.press('Escape');
    await staff.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
    expect(await staff.getByTestId('mode').first().textContent()).toBe('مع موظف');

    await staff.getByTestId('close').click();
    await staff.getByTestId('confirm-ok').click();
    await expect.poll(() => staff.getByTestId('conv-notice').textContent()).toContain('أُغلقت المحادثة');
    await expect.poll(() => staff.getByTestId('mode').first().textContent()).toBe('مغلقة');
    expect(problems).toEqual([]);
  });

  it('does not offer a reply while the bot runs the conversation, and says why', async () => {
    // The first beneficiary's conversation, handed back to the bot earlier.
    const { conversation_id } = await contactOf(await visitorOf(beneficiary));
    await staff.goto(`${base}/staff/#/conversations/${conversation_id}`);
    await staff.getByTestId('conv-message').first().waitFor();
    await expect.poll(() => staff.getByTestId('mode').first().textContent()).toBe('مع المساعد الآلي');
    expect(await staff.getByTestId('reply-input').isDisabled()).toBe(true);
    expect(await staff.getByTestId('reply-send').isDisabled()).toBe(true);
    expect(await staff.getByTestId('reply-hint').textContent()).toContain('المساعد الآلي يتولى هذه المحادثة');
    expect(await staff.getByTestId('takeover').isVisible()).toBe(true);
    expect(problems).toEqual([]);
  });

  it('asks before a final status, and shows an agent what a status change will do', async () => {
    // The request of the status test: under review, handled by the agent; the admin may act on it.
    await staff.goto(`${base}/staff/#/requests/${requestId}`);
    await staff.getByTestId('status-select').waitFor();
    const entries = await staff.getByTestId('history-entry').count();
    await staff.getByTestId('status-select').selectOption('rejected');
    await staff.getByTestId('status-submit').click();
    const dialog = staff.getByTestId('confirm-dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('غير مقبول');
    await staff.getByTestId('confirm-cancel').click();
    await dialog.waitFor({ state: 'detached' });
    expect(await staff.getByTestId('history-entry').count()).toBe(entries);
    expect(await staff.getByTestId('request-notice').textContent()).toBe('');
    // A status that is not final goes through without a question.
    await staff.getByTestId('status-select').selectOption('needs_info');
    await staff.getByTestId('status-submit').click();
    await expect.poll(() => staff.getByTestId('history-entry').count()).toBe(entries + 1);
    expect(await staff.getByTestId('confirm-dialog').count()).toBe(0);

    // An agent on an unassigned request: no reveal button (the API would refuse), and told that
    // changing the status makes the request theirs.
    const { contact_id, conversation_id } = await contactOf(await visitorOf(beneficiary));
    const other = await createSupportRequest(bot.database.db, {
      contactId: contact_id,
      conversationId: conversation_id,
      fullName: 'سالم علي',
      nationalId: '2000000006',
      mobileE164: '+966512345679',
      city: 'جدة',
      supportType: 'housing',
      familySize: 2,
      monthlyIncome: 0,
      description: 'إيجار متأخر.',
    });
    const agentPage = await newPage('agent-2');
    await signIn(agentPage, agent);
    await agentPage.goto(`${base}/staff/#/requests/${other.id}`);
    await agentPage.getByTestId('status-select').waitFor();
    expect(await agentPage.getByTestId('national-id').textContent()).toBe('2*******06');
    expect(await agentPage.getByTestId('reveal-national_id').count()).toBe(0);
    expect(await agentPage.getByTestId('reveal-mobile').count()).toBe(0);
    expect(await agentPage.getByTestId('status-becomes-handler').textContent()).toContain(
      'تصبحون الموظف المسؤول',
    );
    // Once theirs, the reveal is offered.
    await agentPage.getByTestId('status-submit').click();
    await agentPage.getByTestId('reveal-national_id').waitFor();
    expect(await agentPage.getByTestId('status-becomes-handler').count()).toBe(0);
    await agentPage.context().close();
    expect(problems).toEqual([]);
  });

  it('speaks the admin page in words: audit actions, WhatsApp state, confirmations, passwords', async () => {
    await staff.goto(`${base}/staff/#/admin`);
    await expect.poll(() => staff.getByTestId('account-row').count()).toBe(3);
    expect(await staff.getByTestId('whatsapp-state').textContent()).toBe('حالة القناة: بانتظار مسح الرمز');
    await expect.poll(() => staff.getByTestId('audit-action').count()).toBeGreaterThan(3);
    const actions = await staff.getByTestId('audit-action').allTextContents();
    expect(actions).toContain('تسجيل دخول');
    expect(actions).toContain('تولّي محادثة');
    expect(actions.filter((action) => /[a-z_]/.test(action))).toEqual([]);

    // Disabling asks first; going back leaves the account active.
    const agentRow = staff.getByTestId('account-row').filter({ hasText: agent.email });
    await agentRow.getByRole('button', { name: 'تعطيل' }).click();
    await staff.getByTestId('confirm-dialog').waitFor();
    expect(await staff.getByTestId('confirm-dialog').textContent()).toContain(agent.name);
    await staff.getByTestId('confirm-cancel').click();
    await staff.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
    expect(await agentRow.textContent()).toContain('فعّال');

    // An admin gives a colleague a new password; the old one stops working.
    const newPassword = 'a brand new password 99';
    await agentRow.getByTestId('account-new-password').fill('short');
    await agentRow.getByTestId('account-password-submit').click();
    await expect.poll(() => staff.getByTestId('notice-error').first().textContent()).toContain('12');
    await agentRow.getByTestId('account-new-password').fill(newPassword);
    await agentRow.getByTestId('account-password-submit').click();
    await expect
      .poll(() => staff.getByTestId('notice-success').first().textContent())
      .toContain('عُيّنت كلمة المرور');
    const refused = await app.inject({ method: 'POST', url: '/api/staff/login', payload: agent });
    expect(refused.statusCode).toBe(401);
    const accepted = await app.inject({
      method: 'POST',
      url: '/api/staff/login',
      payload: { email: agent.email, password: newPassword },
    });
    expect(accepted.statusCode).toBe(200);
    agent.password = newPassword;

    // An account whose email is taken gets a sentence, not the server's English.
    await staff.getByTestId('account-name').fill('نسخة');
    await staff.getByTestId('account-email').fill(agent.email);
    await staff.getByTestId('account-password').fill('yet another long password');
    await staff.getByTestId('account-create').click();
    await expect
      .poll(() => staff.getByTestId('notice-error').first().textContent())
      .toBe('يوجد حساب بهذا البريد الإلكتروني.');
    await shot(staff, '16-admin-words');

    // Deleting a canned reply asks first.
    await staff.getByTestId('canned-title').fill('ترحيب');
    await staff.getByTestId('canned-text').fill('حيّاكم الله، معكم فريق علاقات المستفيدين.');
    await staff.getByTestId('canned-add').click();
    await staff.getByTestId('canned-item').waitFor();
    await staff.getByTestId('canned-item').getByRole('button', { name: 'حذف' }).click();
    await staff.getByTestId('confirm-dialog').waitFor();
    await staff.getByTestId('confirm-cancel').click();
    expect(await staff.getByTestId('canned-item').count()).toBe(1);
    await staff.getByTestId('canned-item').getByRole('button', { name: 'حذف' }).click();
    await staff.getByTestId('confirm-ok').click();
    await expect.poll(() => staff.getByTestId('canned-item').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('labels the channel figures and draws a low score’s masked numbers left to right', async () => {
    const { contact_id, conversation_id } = await contactOf(await visitorOf(beneficiary));
    await bot.database.db
      .insertInto('ratings')
      .values({
        contact_id,
        conversation_id,
        request_id: null,
        score: 2,
        comment: 'لم يتصل أحد على 0551234567',
        flagged: true,
        created_at: new Date(),
      })
      .execute();
    await staff.goto(`${base}/staff/#/reports`);
    const comment = staff.getByTestId('low-score-comment').first();
    await expect.poll(() => comment.textContent()).toBe('لم يتصل أحد على +9665******67');
    expect(await drawnNumbers(comment, ['+9665******67'])).toEqual(['+9665******67']);
    expect(await staff.getByTestId('low-score').first().locator('.chip--low').textContent()).toBe('2 من 5');
    expect(await staff.getByTestId('by-channel').textContent()).toContain('التقييمات: 6');
    expect(await staff.getByTestId('stat-csat').textContent()).toContain('(4–5)');
    expect(problems).toEqual([]);
  });

  it('lets an admin download a copy of a beneficiary’s data and erase it, after asking; agents see neither', async () => {
    const visitor = await newPage('erased-beneficiary');
    await visitor.goto(`${base}/`);
    await say(visitor, 'السلام عليكم');
    await say(visitor, 'رقم هويتي 1000000008 وأبي أكلم موظف');
    const { conversation_id, contact_id } = await contactOf(await visitorOf(visitor));

    const agentPage = await newPage('agent-erase');
    await signIn(agentPage, agent);
    await agentPage.goto(`${base}/staff/#/conversations/${conversation_id}`);
    await agentPage.getByTestId('conv-message').first().waitFor();
    expect(await agentPage.getByTestId('erase-contact').count()).toBe(0);
    expect(await agentPage.getByTestId('export-contact').count()).toBe(0);

    await staff.goto(`${base}/staff/#/conversations/${conversation_id}`);
    await staff.getByTestId('erase-contact').waitFor();
    // The copy is the person's own data, unmasked: a download from the same signed-in session.
    const href = await staff.getByTestId('export-contact').getAttribute('href');
    expect(href).toBe(`/api/staff/contacts/${contact_id}/export`);
    const copy = await staff.evaluate<string, string>(
      (url) => fetch(url, { credentials: 'same-origin' }).then((r) => r.text()),
      href as string,
    );
    expect(copy).toContain('1000000008');

    // Erasing asks first, saying what goes and what stays; «تراجع» changes nothing.
    await staff.getByTestId('erase-contact').click();
    const dialog = staff.getByTestId('confirm-dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('لا يمكن التراجع');
    await staff.getByTestId('confirm-cancel').click();
    await dialog.waitFor({ state: 'detached' });
    const kept = await bot.database.db
      .selectFrom('messages')
      .select('text')
      .where('conversation_id', '=', conversation_id)
      .execute();
    expect(kept.map((row) => row.text)).toContain('رقم هويتي 1000000008 وأبي أكلم موظف');

    await staff.getByTestId('erase-contact').click();
    await staff.getByTestId('confirm-ok').click();
    await expect
      .poll(() => staff.getByTestId('conv-notice').textContent())
      .toContain('مُحيت البيانات الشخصية');
    await staff.getByTestId('contact-erased').waitFor();
    await expect.poll(() => staff.getByTestId('mode').first().textContent()).toBe('مغلقة');
    expect(await staff.getByTestId('erase-contact').count()).toBe(0);
    expect(new Set(await staff.getByTestId('message-text').allTextContents())).toEqual(new Set(['—']));
    expect(await staff.getByTestId('conv-title').textContent()).toBe('مستفيد مُحيت بياناته');
    expect(problems).toEqual([]);
  });

  it('shows a colleague’s change to an open request without a reload', async () => {
    const { contact_id } = await contactOf(await visitorOf(beneficiary));
    const request = await createSupportRequest(bot.database.db, {
      contactId: contact_id,
      conversationId: null,
      fullName: 'ريم ناصر',
      nationalId: '2000000006',
      mobileE164: '+966512345670',
      city: 'الدمام',
      supportType: 'education',
      familySize: 3,
      monthlyIncome: 1800,
      description: 'رسوم دراسية للأبناء.',
    });
    const agentPage = await newPage('agent-live-request');
    await signIn(agentPage, agent);
    await agentPage.goto(`${base}/staff/#/requests/${request.id}`);
    await agentPage.getByTestId('status-select').waitFor();
    expect(await agentPage.getByTestId('history-entry').count()).toBe(1);

    // A supervisor sends it to the research committee from elsewhere.
    const sam = await bot.database.db
      .withTables<{ staff_accounts: { id: string; email: string } }>()
      .selectFrom('staff_accounts')
      .select('id')
      .where('email', '=', supervisor.email)
      .executeTakeFirstOrThrow();
    await bot.control.changeRequestStatus(request.id, 'under_review', null, sam.id, { anyHandler: true });

    await expect.poll(() => agentPage.getByTestId('history-entry').count(), { timeout: 12_000 }).toBe(2);
    expect(await agentPage.getByTestId('request-notice').textContent()).toContain('غيّر زميل هذا الطلب');
    // The supervisor's change made them its handler: the page says so now.
    expect(await agentPage.locator('.request-detail').textContent()).toContain(supervisor.name);
    expect(problems).toEqual([]);
  });
});
