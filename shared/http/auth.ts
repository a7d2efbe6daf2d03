import { timingSafeEqual } from 'node:crypto';
import { OAuth2Client } from 'google-auth-library';
import { ForbiddenError, UnauthorizedError } from '../errors.js';

/** Google's identity tokens (Cloud Scheduler's OIDC token, `gcloud auth print-identity-token`). */
export const GOOGLE_ISSUERS = ['accounts.google.com', 'https://accounts.google.com'];

export interface IdentityPolicy {
  /** The audiences a token may name: the function's URL (Cloud Scheduler's default) or a configured one. */
  audiences: string[];
  /** Service-account emails that may write (e.g. the Scheduler's). */
  allowedEmails: string[];
  /** Google's signing keys, as a kid → PEM map (https://www.googleapis.com/oauth2/v1/certs). */
  certs: () => Promise<Record<string, string>>;
}

export interface AuthPolicy {
  env: 'local' | 'test' | 'production';
  apiKey?: string;
  /** Verifies `Authorization: Bearer` identity tokens; without it no bearer is accepted. */
  identity?: IdentityPolicy;
}

type Headers = Record<string, string | string[] | undefined>;

/**
 * Write endpoints fail closed outside local dev. A caller is allowed with the configured
 * `X-API-Key`, or with a Google identity token whose signature, issuer, audience, expiry and
 * email all check out. A bearer we cannot verify is refused: IAM may be misconfigured, and
 * "some token was sent" proves nothing. Local (and test) with no key and no identity
 * settings is open, for the laptop.
 */
export async function assertWriteAllowed(policy: AuthPolicy, headers: Headers): Promise<void> {
  return check(policy, headers);
}

async function check(policy: AuthPolicy, headers: Headers): Promise<void> {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const key = header('x-api-key');
  if (policy.apiKey && key !== undefined) {
    if (!safeEqual(key, policy.apiKey)) throw new UnauthorizedError('the X-API-Key header does not match the configured key');
    return;
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header('authorization') ?? '')?.[1];
  if (bearer && policy.identity) return verifyIdentity(policy.identity, bearer);
  if (policy.apiKey) throw new UnauthorizedError('send the X-API-Key header, or a Google identity token of an allowed service account (Authorization: Bearer)');
  if (policy.env !== 'production' && !policy.identity) return;
  if (!policy.identity) {
    throw new UnauthorizedError('writes are closed: no API_KEY and no AUTH_AUDIENCES/AUTH_ALLOWED_EMAILS are configured, so no caller can be verified');
  }
  throw new UnauthorizedError('a Google identity token (Authorization: Bearer) of an allowed service account is required');
}

async function verifyIdentity(identity: IdentityPolicy, token: string): Promise<void> {
  if (!identity.audiences.length || !identity.allowedEmails.length) {
    throw new UnauthorizedError('identity tokens cannot be verified: AUTH_AUDIENCES and AUTH_ALLOWED_EMAILS must both be configured');
  }
  let payload: { email?: unknown; email_verified?: unknown } | undefined;
  try {
    const ticket = await new OAuth2Client().verifySignedJwtWithCertsAsync(token, await identity.certs(), identity.audiences, GOOGLE_ISSUERS);
    payload = ticket.getPayload();
  } catch (err) {
    // The library's messages quote the token: say which check failed, never echo it.
    throw new UnauthorizedError(`the identity token was refused: ${reasonOf(err)}`);
  }
  const email = typeof payload?.email === 'string' ? payload.email.toLowerCase() : undefined;
  if (!email || payload?.email_verified !== true || !identity.allowedEmails.includes(email)) {
    throw new ForbiddenError(`the identity token is valid, but ${email ? `${email} is not` : 'it names no verified email that is'} on the allowlist (AUTH_ALLOWED_EMAILS)`);
  }
}

const reasons: [RegExp, string][] = [
  [/^Wrong number of segments|^Can't parse/, 'it is not a JWT'],
  [/^No pem found|^Invalid token signature/, "its signature does not verify against Google's certificates"],
  [/^Invalid issuer/, 'its issuer is not accounts.google.com'],
  [/^Wrong recipient/, 'its audience is not this service'],
  [/^Token used too late/, 'it has expired'],
  [/^Token used too early/, 'it is not valid yet'],
  [/^No issue time|^No expiration|format$|too far in future/, 'its issue or expiry time is missing or invalid'],
];

function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  return reasons.find(([re]) => re.test(message))?.[1] ?? 'it could not be verified';
}

/**
 * Google's certificates from `url`, kept as long as its Cache-Control max-age says (an
 * hour at most), so a burst of writes fetches them once.
 */
export function googleCerts(url: string, fetchImpl: typeof fetch = fetch): () => Promise<Record<string, string>> {
  let cached: { certs: Record<string, string>; until: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.until) return cached.certs;
    const res = await fetchImpl(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new UnauthorizedError(`identity tokens cannot be verified now: the certificates at ${url} answered ${res.status}`);
    const certs = (await res.json()) as Record<string, string>;
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1] ?? 0);
    cached = { certs, until: Date.now() + Math.min(maxAge, 3600) * 1000 };
    return certs;
  };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The write policy from the configuration. Identity tokens default to the Scheduler's: its
 * service account, and the audiences its jobs name (FUNCTIONS_BASE_URL/<function> for each of
 * `writeFunctions`, the manifest's write functions), in production.
 */
export function authPolicyOf(
  config: {
    env: AuthPolicy['env'];
    apiKey?: string;
    identity: { audiences: string[]; allowedEmails: string[]; certsUrl: string };
    functionsBaseUrl?: string;
    gcp: { schedulerServiceAccount?: string };
  },
  writeFunctions: readonly string[],
  fetchImpl: typeof fetch = fetch,
): AuthPolicy {
  // Derived only in production: locally a FUNCTIONS_BASE_URL must not close the laptop's writes.
  const derive = config.env === 'production';
  const audiences = config.identity.audiences.length ? config.identity.audiences : derive && config.functionsBaseUrl ? writeFunctions.map((f) => `${config.functionsBaseUrl}/${f}`) : [];
  const allowedEmails = config.identity.allowedEmails.length ? config.identity.allowedEmails : derive && config.gcp.schedulerServiceAccount ? [config.gcp.schedulerServiceAccount.toLowerCase()] : [];
  const configured = audiences.length > 0 || allowedEmails.length > 0;
  return {
    env: config.env,
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    ...(configured ? { identity: { audiences, allowedEmails, certs: googleCerts(config.identity.certsUrl, fetchImpl) } } : {}),
  };
}
