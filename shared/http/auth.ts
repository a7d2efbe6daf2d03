import { timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../errors.js';

export interface AuthPolicy {
  env: 'local' | 'test' | 'production';
  apiKey?: string;
}

/**
 * Write endpoints. In production, Cloud Functions IAM already refused callers without the
 * invoker role before the request got here; the platform passes the verified identity
 * token on in `Authorization: Bearer`. On top of that an API key, when configured, must
 * match `X-API-Key`. Local dev with no key is open.
 */
export function assertWriteAllowed(policy: AuthPolicy, headers: Record<string, string | string[] | undefined>): void {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  if (policy.apiKey) {
    const given = header('x-api-key');
    if (!given || !safeEqual(given, policy.apiKey)) throw new UnauthorizedError('a valid X-API-Key header is required');
    return;
  }
  if (policy.env === 'production' && !/^Bearer\s+\S+/.test(header('authorization') ?? '')) {
    throw new UnauthorizedError('an identity token (Authorization: Bearer) is required');
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
