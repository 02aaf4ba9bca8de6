import type { ChannelName } from './types.js';

export type ChannelState = 'off' | 'starting' | 'up' | 'down';

export interface ChannelStatus {
  state: ChannelState;
  /** Why the channel is off or down (never a secret). */
  reason?: string;
  since: string;
}

/** Each channel's state, for /healthz and the start-up log. One channel down never hides another. */
export class ChannelHealth {
  private readonly states = new Map<ChannelName, ChannelStatus>();

  set(channel: ChannelName, state: ChannelState, reason?: string): void {
    this.states.set(channel, { state, ...(reason ? { reason } : {}), since: new Date().toISOString() });
  }

  get(channel: ChannelName): ChannelStatus | undefined {
    return this.states.get(channel);
  }

  snapshot(): Record<string, ChannelStatus> {
    return Object.fromEntries(this.states);
  }
}
