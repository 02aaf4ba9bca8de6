import type { Logger } from '../logger.js';
import type { LoginThrottle } from './auth/login-throttle.js';
import type { StaffControl } from './control.js';
import type { InboxEvents } from './events/inbox-events.js';
import type { StaffDb } from './storage/schema.js';

/** The WhatsApp channel's login state and QR code, as the channel reports it. */
export type WhatsAppStatus = () => { state: string; qr?: string; reason?: string };

/** What every route module of the staff API works with. */
export interface StaffContext {
  db: StaffDb;
  logger: Logger;
  control: StaffControl;
  events: InboxEvents;
  throttle: LoginThrottle;
  cookieSecure: boolean;
  whatsappStatus: WhatsAppStatus | undefined;
}
