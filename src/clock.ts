/**
 * Where "now" comes from. The app uses the system clock; the simulator moves a simulated one
 * forward (`{"advance":"25h"}`) so follow-ups can be seen without waiting a day.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export class SimulatedClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
