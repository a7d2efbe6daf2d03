import { NotReadyError } from '../errors.js';

/**
 * Pit forecasts are CPU on the event loop (features, then the model): run too many at once
 * and every one of them, and everything else the process serves (/health included), waits
 * behind the lot. The gate lets `concurrency` computations run, queues up to `queue` more
 * in order, and refuses the rest at once with 503 and Retry-After, so a caller past the
 * capacity gets a fast answer instead of a timeout and the service keeps answering.
 */
export class WorkGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    readonly concurrency = 1,
    readonly queue = 8,
    /** The refusal past the capacity (503 with Retry-After): which work is busy. */
    private readonly busy: () => Error = () => new PitsBusyError(),
  ) {}

  /** Computations running now. */
  get running(): number {
    return this.active;
  }

  /** No room to run or wait: a new computation would be refused. */
  get full(): boolean {
    return this.active >= this.concurrency && this.waiting.length >= this.queue;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active < this.concurrency) this.active++;
    else if (this.waiting.length < this.queue) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else throw this.busy();
    try {
      return await work();
    } finally {
      // Forecasts are synchronous CPU: released at once, the slot would always look free to
      // the next request. Held one more turn of the event loop, the requests read meanwhile
      // find it taken (queued or refused), and /health and cached reads run in between.
      await new Promise<void>((resolve) => setImmediate(resolve));
      // The slot passes straight to the next in line, so the count stays right.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

export class PitsBusyError extends NotReadyError {
  constructor() {
    super('the pit model is busy with other forecasts: retry in a second', 1);
  }
}
