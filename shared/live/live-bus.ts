/**
 * The fan-out of stored live ticks to every instance's SSE clients. A publisher says "race R
 * has a new tick T"; each instance's subscribers then read the ticks they have not sent from
 * the store, so an event is a wake-up, never the data: a lost or repeated one leaves no gap.
 */
export interface LiveEvent {
  raceId: number;
  tickId: number;
}

export type LiveListener = (event: LiveEvent) => void;

export interface LiveBus {
  /** Tells every subscriber of every instance; resolves once the event is handed to the transport. */
  publish(event: LiveEvent): Promise<void>;
  /** Listens on this instance; returns the unsubscribe. */
  subscribe(listener: LiveListener): () => void;
  close(): Promise<void>;
}

/** Calls each listener on its own, so one that throws does not keep the event from the rest. */
export function deliver(listeners: Iterable<LiveListener>, event: LiveEvent, onError: (err: unknown) => void): void {
  for (const listener of [...listeners]) {
    try {
      listener(event);
    } catch (err) {
      onError(err);
    }
  }
}

/**
 * One process's bus (PGlite, the memory repository: a single process holds the database).
 * Events are delivered on a later turn, as a network bus would, never inside publish().
 */
export function createInProcessLiveBus(options: { onError?: (err: unknown) => void } = {}): LiveBus {
  const listeners = new Set<LiveListener>();
  let closed = false;
  return {
    async publish(event) {
      if (closed) return;
      setImmediate(() => deliver(listeners, { ...event }, options.onError ?? (() => {})));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async close() {
      closed = true;
      listeners.clear();
    },
  };
}

/** The event as NOTIFY carries it (well under PostgreSQL's 8000-byte payload limit). */
export const encodeLiveEvent = (e: LiveEvent): string => JSON.stringify({ raceId: e.raceId, tickId: e.tickId });

export function decodeLiveEvent(payload: string | undefined): LiveEvent | undefined {
  try {
    const v = JSON.parse(payload ?? '') as { raceId?: unknown; tickId?: unknown };
    return Number.isInteger(v.raceId) && Number.isInteger(v.tickId) ? { raceId: v.raceId as number, tickId: v.tickId as number } : undefined;
  } catch {
    return undefined;
  }
}
