/**
 * "Now", injected: the system clock in production, a simulated one in replays and tests. A
 * snapshot records which one froze it (a simulated freeze is labelled as such everywhere).
 */
export interface Clock {
  readonly kind: 'wall' | 'simulated';
  now(): Date;
}

export const systemClock: Clock = { kind: 'wall', now: () => new Date() };

/** A clock that only moves when told to (season replay, tests). */
export class SimulatedClock implements Clock {
  readonly kind = 'simulated' as const;
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  set(at: Date): void {
    this.current = new Date(at);
  }
}
