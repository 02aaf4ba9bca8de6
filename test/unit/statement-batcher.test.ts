import { describe, expect, it } from 'vitest';
import { StatementBatcher } from '../../src/storage/statement-batcher.js';

/** A write that records each statement's items and answers after the test lets it. */
function recordingWrite() {
  const statements: string[][] = [];
  const finish: (() => void)[] = [];
  const write = (items: string[]) =>
    new Promise<string[]>((resolve) => {
      statements.push(items);
      finish.push(() => resolve(items.map((item) => `done:${item}`)));
    });
  return { statements, finish, write };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('statement batcher', () => {
  it('puts the items asked for at the same moment in one statement, and answers each its own', async () => {
    const { statements, finish, write } = recordingWrite();
    const batcher = new StatementBatcher(write, { gatherOneTurn: true });
    const results = Promise.all(['a', 'b', 'c'].map((item) => batcher.submit(item)));
    await turn();
    expect(statements).toEqual([['a', 'b', 'c']]);
    for (const done of finish) done();
    expect(await results).toEqual(['done:a', 'done:b', 'done:c']);
  });

  it('runs at most maxInFlight statements; what is asked meanwhile goes together in the next', async () => {
    const { statements, finish, write } = recordingWrite();
    const batcher = new StatementBatcher(write, { maxInFlight: 1, gatherOneTurn: true });
    const first = batcher.submit('a');
    await turn();
    const later = [batcher.submit('b'), batcher.submit('c')];
    await turn();
    expect(statements).toEqual([['a']]);
    finish[0]?.();
    expect(await first).toBe('done:a');
    await turn();
    expect(statements).toEqual([['a'], ['b', 'c']]);
    finish[1]?.();
    expect(await Promise.all(later)).toEqual(['done:b', 'done:c']);
  });

  it('never puts two items of one key in a statement, and keeps each key’s order', async () => {
    const { statements, finish, write } = recordingWrite();
    const batcher = new StatementBatcher(write, {
      keyOf: (item) => item.split(':')[0] ?? item,
      gatherOneTurn: true,
    });
    const results = Promise.all(['x:1', 'y:1', 'x:2', 'x:3'].map((item) => batcher.submit(item)));
    await turn();
    // Two statements may run at once: the second takes the next of x's items.
    expect(statements).toEqual([['x:1', 'y:1'], ['x:2']]);
    finish[0]?.();
    finish[1]?.();
    await turn();
    await turn();
    expect(statements[2]).toEqual(['x:3']);
    finish[2]?.();
    expect(await results).toEqual(['done:x:1', 'done:y:1', 'done:x:2', 'done:x:3']);
  });

  it('a statement that fails fails every caller in it, and the next statement still runs', async () => {
    let calls = 0;
    const batcher = new StatementBatcher(
      async (items: string[]) => {
        calls++;
        if (calls === 1) throw new Error('connection lost');
        return items.map((item) => item.toUpperCase());
      },
      { gatherOneTurn: true },
    );
    const failed = [batcher.submit('a'), batcher.submit('b')].map((promise) =>
      promise.then(
        () => 'resolved',
        (error: Error) => error.message,
      ),
    );
    expect(await Promise.all(failed)).toEqual(['connection lost', 'connection lost']);
    expect(await batcher.submit('c')).toBe('C');
  });

  it('splits a burst larger than maxBatch', async () => {
    const { statements, finish, write } = recordingWrite();
    const batcher = new StatementBatcher(write, { maxBatch: 2, maxInFlight: 3, gatherOneTurn: true });
    const results = Promise.all(['a', 'b', 'c', 'd', 'e'].map((item) => batcher.submit(item)));
    await turn();
    expect(statements).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    for (const done of finish) done();
    expect(await results).toHaveLength(5);
  });

  it('without gathering, nothing waits on purpose: items go at once until maxInFlight are running', async () => {
    const { statements, finish, write } = recordingWrite();
    const batcher = new StatementBatcher(write);
    const results = Promise.all(['a', 'b', 'c', 'd'].map((item) => batcher.submit(item)));
    // Two went at once, on their own; the others wait for a statement to end, then go together.
    expect(statements).toEqual([['a'], ['b']]);
    finish[0]?.();
    await turn();
    expect(statements).toEqual([['a'], ['b'], ['c', 'd']]);
    finish[1]?.();
    finish[2]?.();
    expect(await results).toEqual(['done:a', 'done:b', 'done:c', 'done:d']);
  });

  it('with overlap, starts the next statement before the callers of the one that ended resume', async () => {
    const { statements, finish, write } = recordingWrite();
    const batcher = new StatementBatcher(write, { maxInFlight: 1, overlap: true });
    // What the first caller sees when it resumes: the statements already sent by then.
    const seenByFirst = batcher.submit('a').then((result) => ({ result, sent: statements.length }));
    const waiting = batcher.submit('b');
    expect(statements).toEqual([['a']]);
    finish[0]?.();
    expect(await seenByFirst).toEqual({ result: 'done:a', sent: 2 });
    expect(statements).toEqual([['a'], ['b']]);
    finish[1]?.();
    expect(await waiting).toBe('done:b');
  });

  it('without overlap, what the resumed callers ask for at once joins the next statement', async () => {
    const { statements, finish, write } = recordingWrite();
    const batcher = new StatementBatcher(write, { maxInFlight: 1 });
    // The first caller, resumed, asks for another item straight away (as a turn's next one).
    const chained = batcher.submit('a').then(() => batcher.submit('c'));
    const waiting = batcher.submit('b');
    finish[0]?.();
    await turn();
    expect(statements).toEqual([['a'], ['b', 'c']]);
    finish[1]?.();
    expect(await Promise.all([chained, waiting])).toEqual(['done:c', 'done:b']);
  });
});
