/**
 * Structured logging. On a terminal: short human lines. Elsewhere: one JSON object per
 * line with Cloud Logging's field names (severity, message, time,
 * logging.googleapis.com/labels), which Cloud Functions and Cloud Run parse as-is.
 */

export type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const severity: Record<Level, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  readonly pretty: boolean;
}

export interface LoggerOptions {
  format: 'auto' | 'json' | 'pretty';
  level: Level;
  /** Where lines go; stderr by default so stdout stays free for command output (JSON summaries). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  fields?: Record<string, unknown>;
}

function serialiseError(value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  return value;
}

export function createLogger(options: LoggerOptions): Logger {
  const stream = options.stream ?? process.stderr;
  const pretty = options.format === 'pretty' || (options.format === 'auto' && Boolean(stream.isTTY));
  const base = options.fields ?? {};

  const write = (level: Level, message: string, fields: Record<string, unknown> = {}) => {
    if (order[level] < order[options.level]) return;
    const all: Record<string, unknown> = { ...base, ...fields };
    for (const [k, v] of Object.entries(all)) all[k] = serialiseError(v);
    if (pretty) {
      const extra = Object.keys(all).length ? ` ${JSON.stringify(all)}` : '';
      stream.write(`${level.toUpperCase().padEnd(5)} ${message}${extra}\n`);
    } else {
      stream.write(`${JSON.stringify({ severity: severity[level], message, time: new Date().toISOString(), ...all })}\n`);
    }
  };

  return {
    pretty,
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...options, stream, fields: { ...base, ...fields } }),
  };
}

/** A logger that drops everything; for tests that do not look at logs. */
export const silentLogger: Logger = createLogger({ format: 'json', level: 'error', stream: { write: () => true } as never });
