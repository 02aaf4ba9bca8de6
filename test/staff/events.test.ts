import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { call, createStaff, createStaffTestApp, login, type Session, type StaffTestApp } from './support.js';

interface InboxEvent {
  conversationId: string;
  mode: string;
  assignedTo: { id: string; name: string } | null;
  at: string;
}

/** Reads a server-sent event stream; `next` waits for the first event matching a condition. */
function eventReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const events: InboxEvent[] = [];
  let ended = false;
  const pump = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let boundary = buffer.indexOf('\n\n');
      while (boundary >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (event === 'inbox' && data) events.push(JSON.parse(data));
        boundary = buffer.indexOf('\n\n');
      }
    }
    ended = true;
  })().catch(() => {
    ended = true;
  });
  return {
    events,
    ended: () => ended,
    pump,
    async next(match: (event: InboxEvent) => boolean, timeoutMs = 10_000): Promise<InboxEvent> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = events.find(match);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events)}`);
    },
    cancel: () => reader.cancel(),
  };
}

for (const kind of DIALECTS) {
  describe(`staff live events (${kind})`, () => {
    let t: StaffTestApp;
    let base: string;
    let alice: Session;

    beforeAll(async () => {
      t = await createStaffTestApp(kind, { eventsIntervalMs: 100 });
      alice = await login(t.app, await createStaff(t.db, 'agent', 'Alice'));
      base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(() => t.close());

    const open = (cookie?: string) =>
      fetch(`${base}/api/staff/events`, { headers: cookie ? { cookie: `staff_session=${cookie}` } : {} });

    it('streams a new waiting conversation, its takeover and a delivered reply', async () => {
      const response = await open(alice.cookie);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      const stream = eventReader(response.body as ReadableStream<Uint8Array>);
      // Let the first poll prime itself, so the change below is news.
      await new Promise((resolve) => setTimeout(resolve, 300));

      const { conversationId } = await t.bot.inbox.receive({
        channel: 'web',
        externalUserId: `visitor-${randomUUID()}`,
        externalMessageId: randomUUID(),
        text: 'أبي أكلم موظف',
      });
      const waiting = await stream.next((e) => e.conversationId === conversationId && e.mode === 'waiting');
      expect(waiting.assignedTo).toBeNull();
      expect(Date.parse(waiting.at)).not.toBeNaN();

      await call(t.app, alice, 'POST', `/api/staff/conversations/${conversationId}/takeover`, {});
      const taken = await stream.next((e) => e.conversationId === conversationId && e.mode === 'staff');
      expect(taken.assignedTo).toEqual({ id: alice.staff.id, name: 'Alice' });

      const reply = await call(t.app, alice, 'POST', `/api/staff/conversations/${conversationId}/reply`, {
        text: 'أهلًا',
      });
      const { id } = reply.json().message;
      const before = stream.events.length;
      // The delivery queue (another process, perhaps) marks it sent a moment later.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await t.db
        .updateTable('messages')
        .set({ delivery_status: 'sent', sent_at: new Date(Date.now() + 1000) })
        .where('id', '=', id)
        .execute();
      await stream.next((e) => e.conversationId === conversationId && stream.events.indexOf(e) >= before);
      // Each change is announced once, not at every poll.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const forThis = stream.events.filter((e) => e.conversationId === conversationId);
      expect(new Set(forThis.map((e) => `${e.mode}|${e.at}`)).size).toBe(forThis.length);
      await stream.cancel();
    });

    it('refuses a stream without a session', async () => {
      const response = await open();
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'unauthenticated' });
    });

    it('ends open streams when the server closes', async () => {
      const response = await open(alice.cookie);
      const stream = eventReader(response.body as ReadableStream<Uint8Array>);
      const started = Date.now();
      await t.app.close();
      await stream.pump;
      expect(stream.ended()).toBe(true);
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });
}
