import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import { openDatabase } from '../../src/storage/database.js';

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

/**
 * Ctrl-C (SIGINT) on the embedded default, as `npm start` runs it: a message the web chat sent
 * just before is answered and stored, the process exits 0, and it leaves the embedded database
 * closed and free for the next process.
 */
describe('graceful shutdown on SIGINT', { timeout: 120_000 }, () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('answers the message in flight, exits 0, and the next process finds it stored', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'aiou-sigint-'));
    dirs.push(dataDir);
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'main.ts')], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        DATABASE_URL: '',
        LOG_LEVEL: 'info',
      },
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    let up = false;
    for (let i = 0; i < 240 && !up; i++) {
      up = await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (!up) await new Promise((r) => setTimeout(r, 250));
    }
    expect(up, output.slice(-2000)).toBe(true);

    const visitorId = randomUUID();
    const messageId = randomUUID();
    const reply = fetch(`${base}/api/chat/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visitorId, messageId, text: 'متى يردون على الطلب؟' }),
    });
    await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    const response = await reply;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { replies: Array<{ text: string }> };
    expect(body.replies[0]?.text).toContain('لجنة البحث'); // the decision-time answer
    expect(await exited, output.slice(-2000)).toBe(0);

    // The claim on the data folder was released: this process may open it, and the turn is there.
    const handle = await openDatabase({ dataDir });
    try {
      const stored = await handle.db
        .selectFrom('messages')
        .select(['direction', 'text'])
        .where('external_id', '=', `${visitorId}:${messageId}`)
        .execute();
      expect(stored).toEqual([{ direction: 'in', text: 'متى يردون على الطلب؟' }]);
    } finally {
      await handle.close();
    }
  });
});
