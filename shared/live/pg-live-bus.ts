import type pg from 'pg';
import type { Logger } from '../log/logger.js';
import { decodeLiveEvent, deliver, encodeLiveEvent, type LiveBus, type LiveListener } from './live-bus.js';

/** The channel every instance LISTENs on. */
export const LIVE_CHANNEL = 'pitwall_live_ticks';

export interface ListenConnection {
  /** A new, unconnected client of its own: a pooled connection goes back to the pool and takes its LISTEN with it. */
  client(): Promise<pg.Client>;
  /** Releases what the connection strategy holds (the Cloud SQL connector). */
  close(): Promise<void>;
}

export interface PgLiveBusOptions {
  listen: ListenConnection;
  /** Sends a NOTIFY over the app's pool (knex): a process that only publishes opens no listening connection. */
  notify(channel: string, payload: string): Promise<void>;
  logger: Logger;
  channel?: string;
  /** Waits between reconnection attempts after the connection drops: doubling from the first, up to the last. */
  reconnectMs?: { first: number; max: number };
}

export interface PgLiveBus extends LiveBus {
  /** Resolves once this instance LISTENs (after a drop: once it does again); starts listening if nothing subscribed yet. */
  listening(): Promise<void>;
}

/**
 * PostgreSQL LISTEN/NOTIFY: each instance holds one dedicated connection that LISTENs,
 * opened when its first SSE client subscribes, and fans each notification out to its own
 * subscribers. A dropped connection (a restart, a failover, an idle cut) is reopened with
 * backoff; notifications sent while it was down are not replayed by PostgreSQL, so
 * subscribers catch up from the store on their own heartbeat (shared/api/live-routes.ts).
 */
export function createPgLiveBus(options: PgLiveBusOptions): PgLiveBus {
  const channel = options.channel ?? LIVE_CHANNEL;
  const { first, max } = options.reconnectMs ?? { first: 250, max: 10_000 };
  const log = options.logger;
  const listeners = new Set<LiveListener>();
  let client: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let retry: NodeJS.Timeout | undefined;
  let wait = first;
  let closed = false;
  let waiters: (() => void)[] = [];

  const onNotification = (msg: pg.Notification) => {
    if (msg.channel !== channel) return;
    const event = decodeLiveEvent(msg.payload);
    if (!event) return log.warn('live bus: a notification that is not a live event was ignored', { channel });
    deliver(listeners, event, (err) => log.error('live bus: a subscriber failed', { err }));
  };

  const connect = (): Promise<void> =>
    (connecting ??= (async () => {
      const c = await options.listen.client();
      // Set before connect: an 'error' without a listener would crash the process.
      c.on('error', (err) => dropped(c, err));
      c.on('end', () => dropped(c));
      c.on('notification', onNotification);
      try {
        await c.connect();
        await c.query(`LISTEN ${quoteIdent(channel)}`);
      } catch (err) {
        dropped(c, err);
        throw err;
      }
      if (closed) {
        await c.end().catch(() => {});
        return;
      }
      client = c;
      wait = first;
      for (const w of waiters.splice(0)) w();
    })().finally(() => (connecting = undefined)));

  const dropped = (c: pg.Client, err?: unknown) => {
    if (closed) return;
    if (client === c) {
      log.warn('live bus: the LISTEN connection dropped; reconnecting', { ...(err ? { err } : {}) });
      client = undefined;
      c.removeAllListeners('notification');
      c.end().catch(() => {});
    } else if (client !== undefined) return; // a late event of a connection already replaced
    schedule();
  };

  const schedule = () => {
    if (closed || retry) return;
    const delay = wait;
    wait = Math.min(max, wait * 2);
    retry = setTimeout(() => {
      retry = undefined;
      connect().catch((err) => log.warn('live bus: reconnecting failed; retrying', { err, retryInMs: wait }));
    }, delay);
    retry.unref();
  };

  const start = () => {
    if (client || connecting || retry || closed) return;
    connect().catch((err) => log.warn('live bus: could not LISTEN; retrying', { err, retryInMs: wait }));
  };

  return {
    async publish(event) {
      await options.notify(channel, encodeLiveEvent(event));
    },
    subscribe(listener) {
      listeners.add(listener);
      start();
      return () => void listeners.delete(listener);
    },
    listening() {
      if (client) return Promise.resolve();
      const ready = new Promise<void>((resolve) => waiters.push(resolve));
      start();
      return ready;
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      listeners.clear();
      waiters = [];
      await connecting?.catch(() => {});
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
      await options.listen.close();
    },
  };
}

/** An identifier for LISTEN (it takes no bind parameters). */
const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
