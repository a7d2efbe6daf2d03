import type { z } from 'zod';

/** A parser for HttpClient.getJson: the zod issues become the error message (path: message). */
export function zodParser<S extends z.ZodType>(schema: S): (body: unknown) => z.output<S> {
  return (body) => {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    const more = parsed.error.issues.length > 5 ? ` (+${parsed.error.issues.length - 5} more)` : '';
    throw new Error(`${issues.join('; ')}${more}`);
  };
}
