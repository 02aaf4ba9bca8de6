import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';

/** A free TCP port on localhost. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

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
  let child: ChildProcess;
  let dataDir: string;
  let base: string;
  let stderr = '';

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aiou-start-'));
    const port = await freePort();
    const deadApi = await freePort(); // nothing listens there: the Telegram API is unreachable
    base = `http://127.0.0.1:${port}`;
    // Node itself (tsx as a loader), as in production: the signals reach the app, not a wrapper.
    child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'main.ts')], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        DATABASE_URL: '',
        LOG_LEVEL: 'info',
        WHATSAPP_ENABLED: 'true',
        TELEGRAM_BOT_TOKEN: '123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        TELEGRAM_API_ROOT: `http://127.0.0.1:${deadApi}`,
      },
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout?.on('data', (chunk) => {
      stderr += chunk;
    });
  });

  afterAll(async () => {
    child?.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    child?.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  async function health(): Promise<Health | undefined> {
    try {
      return (await (await fetch(`${base}/healthz`)).json()) as Health;
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
    expect(latest?.status, stderr.slice(-2000)).toBe('ok');
    expect(latest?.channels?.web?.state).toBe('up');
    expect(latest?.channels?.telegram?.state).toBe('down');
    expect(latest?.channels?.telegram?.reason).toBeTruthy();
    expect(latest?.channels?.whatsapp?.state, stderr.slice(-2000)).toBe('down');
    expect(latest?.channels?.whatsapp?.reason).toBeTruthy();

    const reply = await fetch(`${base}/api/chat/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visitorId: randomUUID(), messageId: randomUUID(), text: 'السلام عليكم' }),
    });
    expect(reply.status).toBe(200);
    expect(((await reply.json()) as { replies: unknown[] }).replies.length).toBeGreaterThan(0);
    // The start-up log says which channels are on and why the others are not.
    expect(stderr).toMatch(/channel telegram/);
    expect(stderr).toMatch(/channel whatsapp/);
  });

  it('stops gracefully on SIGTERM: finishes, closes its queues and database, and exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited, stderr.slice(-2000)).toBe(0);
    expect(stderr).toMatch(/shutting down|stopped/i);
  });
});
