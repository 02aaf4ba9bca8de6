import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Client, Message, WAState } from 'whatsapp-web.js';

/**
 * The client events the adapter listens to, with the listener types of whatsapp-web.js's own
 * `Client.on` overloads (Message, WAState), and EventEmitter's clean-up (declared here because
 * picking it from Client would demand a whole Client as its `this` return). The real Client must
 * stay assignable to `WhatsAppClient`: `createWhatsAppClient` returns one as such.
 */
export interface WhatsAppClientEvents {
  on(event: 'qr', listener: (qr: string) => void): unknown;
  on(event: 'authenticated', listener: () => void): unknown;
  on(event: 'auth_failure', listener: (message: string) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  on(event: 'disconnected', listener: (reason: WAState | 'LOGOUT') => void): unknown;
  on(event: 'change_state', listener: (state: WAState) => void): unknown;
  on(event: 'message', listener: (message: Message) => void): unknown;
  /** Drops the adapter's listeners from a client it replaced (EventEmitter's own method). */
  removeAllListeners(): unknown;
}

/** The subset of whatsapp-web.js's Client the adapter uses, typed against the library's own types. */
export type WhatsAppClient = Pick<
  Client,
  'initialize' | 'destroy' | 'sendMessage' | 'getState' | 'getContactLidAndPhone' | 'getChatById'
> &
  WhatsAppClientEvents;

/** Chromium flags for a headless server: no sandbox (containers), no GPU, no background traffic. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-dev-shm-usage',
] as const;

const require = createRequire(import.meta.url);

/**
 * The real client: WhatsApp Web in Debian's Chromium (never a downloaded browser), the login
 * session kept by LocalAuth under `DATA_DIR/whatsapp`, so a restart does not ask for the QR code
 * again. Nothing starts until `initialize()`. whatsapp-web.js (and Puppeteer with it) is loaded
 * here, on first use, so a deployment without WhatsApp never loads it.
 */
export function createWhatsAppClient(options: { dataDir: string; chromiumPath: string }): WhatsAppClient {
  const { Client: WhatsAppWebClient, LocalAuth } =
    require('whatsapp-web.js') as typeof import('whatsapp-web.js');
  const sessionDir = join(options.dataDir, 'whatsapp');
  return new WhatsAppWebClient({
    authStrategy: new LocalAuth({ dataPath: sessionDir }),
    // The copy of WhatsApp Web's page the library keeps goes with the session, not into the cwd.
    webVersionCache: { type: 'local', path: join(sessionDir, 'web-cache') },
    puppeteer: {
      executablePath: options.chromiumPath,
      headless: true,
      args: [...CHROMIUM_ARGS],
    },
  });
}
