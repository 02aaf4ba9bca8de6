import type { Compilable, Kysely, QueryCreator } from 'kysely';
import { andCommit } from '../deferred-begin.js';
import type { Database } from '../schema.js';
import { type ConversationTurn, turnColumns } from './conversations.js';
import { type FollowUpWrites, withFollowUpWrites } from './follow-ups.js';
import { type OutboundRecord, outboundRow } from './messages.js';
import { conversationVersion } from './versioned-turn.js';

/** A reply as stored: its record plus the id it was given. */
export type StoredReply = OutboundRecord & { id: string };

/** What saveTurn stored: the replies, and the version the conversation is at now. */
export interface SavedTurn {
  replies: StoredReply[];
  /**
   * See conversationVersion: the inbox remembers it to run the next turn in one statement.
   * Undefined only if the conversation row was not there to update.
   */
  version: string | undefined;
}

/**
 * The end of a turn in ONE statement: the conversation's new state (a data-modifying CTE) and
 * the bot's replies, plus the follow-up write the turn called for (another data-modifying CTE:
 * the follow-up a run finished). Fewer
 * round trips per message is most of the inbox's throughput. Returns the stored replies, in order,
 * and the conversation's new version.
 *
 * `endsTransaction`: nothing runs after it in its transaction, so its COMMIT goes with it, in the
 * same round trip (see andCommit).
 */
export async function saveTurn(
  db: Kysely<Database>,
  conversationId: string,
  turn: ConversationTurn,
  replies: OutboundRecord[],
  followUps: FollowUpWrites = {},
  options: { endsTransaction?: boolean } = {},
): Promise<SavedTurn> {
  const run = async <R>(query: Compilable<R>): Promise<R[]> => {
    const compiled = query.compile();
    const { rows } = await db.executeQuery(options.endsTransaction ? andCommit(compiled) : compiled);
    return rows;
  };
  const statement = withFollowUpWrites(db, followUps);
  const update = (qb: QueryCreator<Database>) =>
    qb
      .updateTable('conversations')
      .set(turnColumns(turn, JSON.stringify(turn.state)))
      .where('id', '=', conversationId);
  if (replies.length === 0) {
    const [saved] = await run(update(statement).returning(conversationVersion.as('version')));
    return { replies: [], version: saved?.version };
  }
  const rows = await run(
    statement
      .with('saved_state', (qb) =>
        update(qb as QueryCreator<Database>).returning(conversationVersion.as('version')),
      )
      .insertInto('messages')
      .values(replies.map(outboundRow))
      .returning((eb) => [
        'id',
        'position',
        eb.selectFrom('saved_state').select('saved_state.version').as('version'),
      ]),
  );
  const idOf = new Map(rows.map((row) => [row.position, row.id]));
  return {
    replies: replies.map((reply) => ({ ...reply, id: idOf.get(reply.position) as string })),
    version: rows[0]?.version ?? undefined,
  };
}
