import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { RequestStatus, SupportType } from '../domain/request-status.js';
import type { ConversationMode } from '../engine/actions.js';

/** Channels a beneficiary can reach us on. */
export type ChannelName = 'web' | 'telegram' | 'whatsapp';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
/** jsonb: written as a JSON string (both drivers accept it), read back as parsed JSON. */
type Json<T> = ColumnType<T, string, string>;

/** A beneficiary: one person, reachable on one or more channels. */
export interface ContactsTable {
  id: Generated<string>;
  display_name: string | null;
  /** E.164; set when the person shared it through a channel that proves it (WhatsApp, Telegram contact). */
  phone_e164: string | null;
  phone_verified: Generated<boolean>;
  locale: Generated<string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** When an admin erased this person's personal data (see repositories/erasure.ts). */
  erased_at: ColumnType<Date | null, Date | undefined, Date>;
}

/** One account of a contact on one channel (a Telegram user id, a WhatsApp number, a web visitor). */
export interface ChannelIdentitiesTable {
  id: Generated<string>;
  contact_id: string;
  channel: ChannelName;
  external_id: string;
  display_name: string | null;
  phone_e164: string | null;
  /** When sending to this identity last failed for good (blocked the bot, number gone). */
  unreachable_at: Date | null;
  created_at: CreatedAt;
  last_seen_at: UpdatedAt;
}

export interface ConversationsTable {
  id: Generated<string>;
  contact_id: string;
  identity_id: string;
  channel: ChannelName;
  mode: ConversationMode;
  flow_id: string | null;
  node_id: string | null;
  /** The engine's state (ConversationState), tagged with the flow version it was written against. */
  state: Json<unknown>;
  locale: string;
  assigned_to: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  last_message_at: UpdatedAt;
  /**
   * The last inbound message's turn time (null before the first, and on rows older than
   * migration 010): what the intake's reminder and expiry count from.
   */
  last_inbound_at: Date | null;
  closed_at: Date | null;
}

export type MessageDirection = 'in' | 'out';
export type InputHint = 'phone';
export type MessageSender = 'contact' | 'bot' | 'staff';
export type DeliveryStatus = 'pending' | 'sent' | 'failed';

export interface MessagesTable {
  id: Generated<string>;
  conversation_id: string;
  direction: MessageDirection;
  sender: MessageSender;
  channel: ChannelName;
  /** The channel's own id for an inbound message: unique per channel, so a redelivery is recognised. */
  external_id: string | null;
  /** Exactly as sent: normalisation happens in the matcher, never in storage. */
  text: string;
  choices: Json<string[]>;
  media_kind: string | null;
  flow_id: string | null;
  node_id: string | null;
  /** For bot replies: the inbound message that produced them (replayed on a redelivery). */
  reply_to_id: string | null;
  /** What the message asks for ('phone'), for channels that can offer a special input. */
  input_hint: InputHint | null;
  /** Order of replies to one inbound message. */
  position: Generated<number>;
  delivery_status: DeliveryStatus | null;
  delivery_attempts: Generated<number>;
  delivery_error: string | null;
  sent_at: Date | null;
  /** The staff member who wrote it (sender 'staff'). */
  staff_id: string | null;
  created_at: CreatedAt;
}

export interface SupportRequestsTable {
  id: Generated<string>;
  reference: string;
  contact_id: string;
  conversation_id: string | null;
  full_name: string;
  national_id: string;
  mobile_e164: string;
  city: string;
  support_type: SupportType;
  family_size: number;
  monthly_income: ColumnType<string, number | string, number | string>;
  description: string;
  status: RequestStatus;
  /** The staff member handling the request (the last to change its status, or who claimed it). */
  assigned_to: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** When the applicant's personal data was erased: name, ID, mobile, city, income and need blanked. */
  erased_at: ColumnType<Date | null, Date | undefined, Date>;
}

export interface RequestStatusHistoryTable {
  id: Generated<string>;
  request_id: string;
  status: RequestStatus;
  note: string | null;
  /** 'system', 'beneficiary' or a staff member's id. */
  changed_by: string;
  changed_at: CreatedAt;
}

export interface RatingsTable {
  id: Generated<string>;
  contact_id: string;
  conversation_id: string | null;
  request_id: string | null;
  score: number;
  comment: string | null;
  flagged: boolean;
  created_at: CreatedAt;
}

export type EscalationStatus = 'open' | 'cancelled' | 'resolved';

export interface EscalationsTable {
  id: Generated<string>;
  conversation_id: string;
  contact_id: string;
  status: EscalationStatus;
  /** Flow and node the beneficiary was at, for the staff member's context. */
  from_flow: string | null;
  from_node: string | null;
  assigned_to: string | null;
  /** When a member of staff first wrote to the beneficiary (first response time). */
  first_response_at: Date | null;
  /** When the beneficiary had waited longer than HANDOFF_SLA, still without staff (the inbox flags it). */
  sla_breached_at: Date | null;
  created_at: CreatedAt;
  closed_at: Date | null;
}

export const FOLLOW_UP_KINDS = [
  'intake_reminder',
  'intake_expiry',
  'review_notice',
  'status_notice',
  'rating_survey',
  'handoff_sla',
] as const;
export type FollowUpKind = (typeof FOLLOW_UP_KINDS)[number];
export type FollowUpStatus = 'scheduled' | 'done' | 'cancelled' | 'skipped';

/** A follow-up, written with the change that calls for it; the job queue only times it. */
export interface FollowUpsTable {
  id: Generated<string>;
  kind: FollowUpKind;
  contact_id: string;
  conversation_id: string | null;
  request_id: string | null;
  basis: Json<Record<string, unknown>>;
  due_at: Date;
  status: FollowUpStatus;
  outcome: string | null;
  created_at: CreatedAt;
  finished_at: Date | null;
}

export interface DeliveryLeasesTable {
  conversation_id: string;
  holder: string;
  expires_at: Date;
  /** Another deliverer found the lease held with messages waiting (migration 008). */
  again: Generated<boolean>;
}

/** Failed reference look-ups per contact, to slow down guessing. */
export interface LookupThrottleTable {
  contact_id: string;
  failures: number;
  window_started_at: Date;
  blocked_until: Date | null;
}

/**
 * The web chat's flood limits on PostgreSQL without Redis (migration 007): hits per key in the
 * window that ends at `expires_at`. The key is an HMAC, never a visitor id or an address.
 */
export interface WebChatLimitCountsTable {
  key: string;
  hits: number;
  expires_at: Date;
}

/** Random secrets made once per installation (migration 007); `web_chat_limits` keys the HMACs above. */
export interface InstallSecretsTable {
  name: string;
  secret: string;
  created_at: CreatedAt;
}

export interface Database {
  contacts: ContactsTable;
  channel_identities: ChannelIdentitiesTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  support_requests: SupportRequestsTable;
  request_status_history: RequestStatusHistoryTable;
  ratings: RatingsTable;
  escalations: EscalationsTable;
  lookup_throttle: LookupThrottleTable;
  follow_ups: FollowUpsTable;
  delivery_leases: DeliveryLeasesTable;
  web_chat_limit_counts: WebChatLimitCountsTable;
  install_secrets: InstallSecretsTable;
}

export type Contact = Selectable<ContactsTable>;
export type ChannelIdentity = Selectable<ChannelIdentitiesTable>;
export type Conversation = Selectable<ConversationsTable>;
export type Message = Selectable<MessagesTable>;
export type NewMessage = Insertable<MessagesTable>;
export type SupportRequest = Selectable<SupportRequestsTable>;
export type Rating = Selectable<RatingsTable>;
export type Escalation = Selectable<EscalationsTable>;
export type FollowUp = Selectable<FollowUpsTable>;
export type ConversationUpdate = Updateable<ConversationsTable>;
