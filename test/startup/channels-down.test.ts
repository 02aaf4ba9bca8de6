import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, freePort, startAppProcess } from '../support/app-process.js';

interface Health {
  status: string;
  channels?: Record<string, { state: string; reason?: string }>;
}

/**
 * `WHATSAPP_ENABLED=true npm start` on a machine that cannot reach WhatsApp (and with a Telegram
 * token no server accepts): the app starts, reports both channels down with a reason, and the
 * web chat keeps serving.
 */
describe('start-up with unreachable channels', { timeout: 180_000 }, () => {
  let app: AppProcess;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aiou-start-'));
    const deadApi = await freePort(); // nothing listens there: the Telegram API is unreachable
    app = await startAppProcess(dataDir, {
      WHATSAPP_ENABLED: 'true',
      TELEGRAM_BOT_TOKEN: '123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      TELEGRAM_API_ROOT: `http://127.0.0.1:${deadApi}`,
    });
  });

  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    app?.child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  async function health(): Promise<Health | undefined> {
    try {
      return (await (await fetch(`${app.base}/healthz`)).json()) as Health;
    } catch {
      return undefined;
    }
  }

  it('reports WhatsApp and Telegram down with reasons and keeps the web chat serving', async () => {
    let latest: Health | undefined;
    for (let i = 0; i < 150; i++) {
      latest = await health();
      const channels = latest?.channels;
      if (channels?.whatsapp?.state === 'down' && channels?.telegram?.state === 'down') break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(latest?.status, app.output().slice(-2000)).toBe('ok');
    expect(latest?.channels?.web?.state).toBe('up');
    expect(latest?.channels?.telegram?.state).toBe('down');
    expect(latest?.channels?.telegram?.reason).toBeTruthy();
    expect(latest?.channels?.whatsapp?.state, app.output().slice(-2000)).toBe('down');
    expect(latest?.channels?.whatsapp?.reason).toBeTruthy();

    const reply = await fetch(`${app.base}/api/chat/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visitorId: randomUUID(), messageId: randomUUID(), text: 'السلام عليكم' }),
    });
    expect(reply.status).toBe(200);
    expect(((await reply.json()) as { replies: unknown[] }).replies.length).toBeGreaterThan(0);
    // The start-up log says which channels are on and why the others are not.
    expect(app.output()).toMatch(/channel telegram/);
    expect(app.output()).toMatch(/channel whatsapp/);
  });

  it('stops gracefully on SIGTERM: finishes, closes its queues and database, and exits 0', async () => {
    app.child.kill('SIGTERM');
    expect(await app.exited, app.output().slice(-2000)).toBe(0);
    expect(app.output()).toMatch(/shutting down|stopped/i);
  });
});
