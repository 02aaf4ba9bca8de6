import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/database.js';
import { startAppProcess } from '../support/app-process.js';

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
    const app = await startAppProcess(dataDir);
    expect(await app.waitHealthy(), app.output().slice(-2000)).toBe(true);

    const visitorId = randomUUID();
    const messageId = randomUUID();
    const reply = fetch(`${app.base}/api/chat/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visitorId, messageId, text: 'متى يردون على الطلب؟' }),
    });
    await new Promise((r) => setTimeout(r, 20));
    app.child.kill('SIGINT');
    const response = await reply;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { replies: Array<{ text: string }> };
    expect(body.replies[0]?.text).toContain('لجنة البحث'); // the decision-time answer
    expect(await app.exited, app.output().slice(-2000)).toBe(0);

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
