import { sql } from 'kysely';
import type { RequestStatus, SupportType } from '../../domain/request-status.js';
import type { ConversationMode } from '../../engine/actions.js';
import type {
  ChannelName,
  DeliveryStatus,
  EscalationStatus,
  MessageDirection,
  MessageSender,
} from '../../storage/schema.js';
import { maskMobile, maskPersonalNumbers } from '../masking.js';
import type { StaffDb } from '../storage/schema.js';

/** The newest messages of a contact shown at once; enough for any real conversation history. */
export const HISTORY_LIMIT = 500;

export type StaffRef = { id: string; name: string } | null;

export interface ConversationSummary {
  id: string;
  channel: ChannelName;
  mode: ConversationMode;
  assignedTo: StaffRef;
  flowId: string | null;
  nodeId: string | null;
  createdAt: string;
  lastMessageAt: string;
  closedAt: string | null;
}

export interface ConversationView {
  conversation: ConversationSummary;
  contact: {
    id: string;
    name: string | null;
    phoneMasked: string | null;
    channels: Array<{ channel: ChannelName; name: string | null }>;
    /** When an admin erased this person's personal data (their messages then read «—»). */
    erasedAt: string | null;
  };
  messages: Array<{
    id: string;
    conversationId: string;
    direction: MessageDirection;
    sender: MessageSender;
    staff: StaffRef;
    channel: ChannelName;
    /**
     * As written, except national IDs and mobiles in it, masked (maskPersonalNumbers): the
     * stored message is unchanged. The console escapes it when showing it.
     */
    text: string;
    choices: string[];
    mediaKind: string | null;
    at: string;
    deliveryStatus: DeliveryStatus | null;
  }>;
  requests: Array<{
    id: string;
    reference: string;
    status: RequestStatus;
    supportType: SupportType;
    createdAt: string;
  }>;
  escalation: {
    status: EscalationStatus;
    createdAt: string;
    fromFlow: string | null;
    fromNode: string | null;
  } | null;
}

/** A conversation's header: mode, channel, who has it. */
export async function conversationSummary(db: StaffDb, id: string): Promise<ConversationSummary | undefined> {
  return (await loadConversation(db, id))?.summary;
}

async function loadConversation(
  db: StaffDb,
  id: string,
): Promise<{ summary: ConversationSummary; contactId: string } | undefined> {
  const row = await db
    .selectFrom('conversations as c')
    .leftJoin('staff_accounts as sa', (join) => join.on(sql<boolean>`sa.id::text = c.assigned_to`))
    .select([
      'c.id',
      'c.contact_id',
      'c.channel',
      'c.mode',
      'c.assigned_to',
      'sa.name as assignee_name',
      'c.flow_id',
      'c.node_id',
      'c.created_at',
      'c.last_message_at',
      'c.closed_at',
    ])
    .where('c.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const summary: ConversationSummary = {
    id: row.id,
    channel: row.channel,
    mode: row.mode,
    assignedTo: row.assigned_to ? { id: row.assigned_to, name: row.assignee_name ?? '' } : null,
    flowId: row.flow_id,
    nodeId: row.node_id,
    createdAt: row.created_at.toISOString(),
    lastMessageAt: row.last_message_at.toISOString(),
    closedAt: row.closed_at ? row.closed_at.toISOString() : null,
  };
  return { summary, contactId: row.contact_id };
}

/**
 * Everything a staff member needs to answer: the conversation, who the beneficiary is (phone
 * masked), every message of that person on every channel (oldest first, so the newest is at the
 * bottom), their requests and the escalation that brought them here.
 */
export async function conversationView(db: StaffDb, id: string): Promise<ConversationView | undefined> {
  const loaded = await loadConversation(db, id);
  if (!loaded) return undefined;
  const { summary: conversation, contactId } = loaded;

  const [contact, identities, newestFirst, requests, escalation] = await Promise.all([
    db
      .selectFrom('contacts')
      .select(['id', 'display_name', 'phone_e164', 'erased_at'])
      .where('id', '=', contactId)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('channel_identities')
      .select(['channel', 'display_name'])
      .where('contact_id', '=', contactId)
      .orderBy('created_at')
      .execute(),
    db
      .selectFrom('messages as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .leftJoin('staff_accounts as sa', (join) => join.on(sql<boolean>`sa.id::text = m.staff_id`))
      .select([
        'm.id',
        'm.conversation_id',
        'm.direction',
        'm.sender',
        'm.staff_id',
        'sa.name as staff_name',
        'm.channel',
        'm.text',
        'm.choices',
        'm.media_kind',
        'm.created_at',
        'm.delivery_status',
      ])
      .where('c.contact_id', '=', contactId)
      .orderBy('m.created_at', 'desc')
      .orderBy('m.position', 'desc')
      .limit(HISTORY_LIMIT)
      .execute(),
    db
      .selectFrom('support_requests')
      .select(['id', 'reference', 'status', 'support_type', 'created_at', 'full_name', 'erased_at'])
      .where('contact_id', '=', contactId)
      .orderBy('created_at', 'desc')
      .execute(),
    db
      .selectFrom('escalations')
      .select(['status', 'created_at', 'from_flow', 'from_node'])
      .where('conversation_id', '=', id)
      // The open one if any, else the latest.
      .orderBy(sql`status = 'open'`, 'desc')
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst(),
  ]);

  // A web visitor has no profile name: the full name of their newest support request, then.
  const name =
    contact.display_name ??
    identities.find((identity) => identity.display_name)?.display_name ??
    requests.find((request) => !request.erased_at)?.full_name ??
    null;
  return {
    conversation,
    contact: {
      id: contact.id,
      name,
      phoneMasked: contact.phone_e164 ? maskMobile(contact.phone_e164) : null,
      channels: identities.map((identity) => ({ channel: identity.channel, name: identity.display_name })),
      erasedAt: contact.erased_at?.toISOString() ?? null,
    },
    messages: newestFirst.reverse().map((message) => ({
      id: message.id,
      conversationId: message.conversation_id,
      direction: message.direction,
      sender: message.sender,
      staff: message.staff_id ? { id: message.staff_id, name: message.staff_name ?? '' } : null,
      channel: message.channel,
      text: maskPersonalNumbers(message.text),
      choices: message.choices,
      mediaKind: message.media_kind,
      at: message.created_at.toISOString(),
      deliveryStatus: message.delivery_status,
    })),
    requests: requests.map((request) => ({
      id: request.id,
      reference: request.reference,
      status: request.status,
      supportType: request.support_type,
      createdAt: request.created_at.toISOString(),
    })),
    escalation: escalation
      ? {
          status: escalation.status,
          createdAt: escalation.created_at.toISOString(),
          fromFlow: escalation.from_flow,
          fromNode: escalation.from_node,
        }
      : null,
  };
}
