/**
 * "Now", injected: the system clock in production, a simulated one in replays and tests. A
 * snapshot records which one froze it (a simulated freeze is labelled as such everywhere);
 * the HTTP clients pace, back off and keep deadlines on it, so a test clock costs no real
 * time.
 */
export interface Clock {
  readonly kind: 'wall' | 'simulated';
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  kind: 'wall',
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/** A clock that only moves when told to (season replay, tests); a sleep moves it on at once. */
export class SimulatedClock implements Clock {
  readonly kind = 'simulated' as const;
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  set(at: Date): void {
    this.current = new Date(at);
  }
  async sleep(ms: number): Promise<void> {
    this.current = new Date(this.current.getTime() + Math.max(0, ms));
  }
}

/**
 * A clock that runs from `start` at `speed` times real time (a race replayed as live at
 * 60×: a 30 s poll interval takes half a second). Labelled simulated: what it freezes or
 * stamps is not of the wall clock.
 */
export class ScaledClock implements Clock {
  readonly kind = 'simulated' as const;
  private readonly wallStart: number;
  constructor(
    private readonly start: Date,
    readonly speed: number,
    private readonly wall: () => number = Date.now,
  ) {
    if (!(speed > 0)) throw new RangeError(`speed must be positive, got ${speed}`);
    this.wallStart = wall();
  }
  now(): Date {
    return new Date(this.start.getTime() + (this.wall() - this.wallStart) * this.speed);
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms) / this.speed));
  }
}
