import http from 'node:http';
import { createSseParser, type SseEvent } from '../../shared/live/sse-client.js';

export type { SseEvent };

export interface SseClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  events: SseEvent[];
  /** Comment lines received (heartbeats). */
  comments: string[];
  /** Resolves once `predicate` holds for the events so far (rejects after `timeoutMs`). */
  waitFor(predicate: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<SseEvent[]>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** A minimal EventSource over node:http, with the status, headers and comments a test checks (the stream parsed by the app's parser). */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const waiters = new Set<() => void>();
      let endResolve!: () => void;
      const ended = new Promise<void>((r) => (endResolve = r));
      res.setEncoding('utf8');
      const parser = createSseParser({ onEvent: (e) => events.push(e), onComment: (c) => comments.push(c) });
      res.on('data', (chunk: string) => {
        parser.push(chunk);
        for (const w of [...waiters]) w();
      });
      res.on('end', () => endResolve());
      res.on('close', () => endResolve());
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        ended,
        waitFor(predicate, timeoutMs = 10_000) {
          return new Promise((ok, fail) => {
            const check = () => {
              if (!predicate(events)) return;
              waiters.delete(check);
              clearTimeout(timer);
              ok(events);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`SSE: condition not met within ${timeoutMs} ms; events: ${events.map((e) => e.id).join(',')}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', (err) => {
      if ((err as { code?: string }).code !== 'ECONNRESET') reject(err);
    });
  });
}

/** The tick ids of an event list. */
export const idsOf = (events: SseEvent[]) => events.map((e) => Number(e.id));
export const lapsOf = (events: SseEvent[]) => events.map((e) => (JSON.parse(e.data) as { state: { lap: number } }).state.lap);
