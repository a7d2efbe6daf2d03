/**
 * A minimal Server-Sent Events reader over fetch (Node has no EventSource): the CLI's and
 * the benchmark's view of the live stream, read as a browser's EventSource reads it: a
 * stream the server ends is resumed after the last event id (Last-Event-ID), until aborted.
 */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

const RECONNECT_MS = 500;

export async function readEvents(url: string, signal: AbortSignal, onEvent: (event: SseEvent) => void): Promise<void> {
  let lastId: string | undefined;
  while (!signal.aborted) {
    try {
      const res = await fetch(url, { headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) }, signal });
      if (!res.ok || !res.body) throw new Error(`${url} answered ${res.status}`);
      await readStream(res.body as unknown as AsyncIterable<Uint8Array>, (event) => {
        if (event.id !== undefined) lastId = event.id;
        onEvent(event);
      });
    } catch (err) {
      if (signal.aborted) return;
      // Refused outright (4xx) is the caller's to report; a dropped stream is resumed.
      if (err instanceof Error && / answered 4\d\d$/.test(err.message)) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

async function readStream(body: AsyncIterable<Uint8Array>, onEvent: (event: SseEvent) => void): Promise<void> {
  const decoder = new TextDecoder();
  const parser = createSseParser({ onEvent });
  for await (const chunk of body) parser.push(decoder.decode(chunk, { stream: true }));
}

/**
 * The event-stream format, as a browser's EventSource parses it: `field: value` lines, an
 * event per blank line, `:` comments (heartbeats). Fed text chunks as they arrive.
 */
export function createSseParser(handlers: { onEvent: (event: SseEvent) => void; onComment?: (text: string) => void }): { push(text: string): void } {
  let buffer = '';
  let current: { id?: string; event?: string; data?: string } = {};
  return {
    push(text) {
      buffer += text;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        if (line === '') {
          if (current.data !== undefined) handlers.onEvent({ event: current.event ?? 'message', data: current.data, ...(current.id !== undefined ? { id: current.id } : {}) });
          current = {};
        } else if (line.startsWith(':')) {
          handlers.onComment?.(line.slice(1).trim());
        } else {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') current.data = current.data === undefined ? value : `${current.data}\n${value}`;
          else if (field === 'event') current.event = value;
          else if (field === 'id') current.id = value;
        }
      }
    },
  };
}
