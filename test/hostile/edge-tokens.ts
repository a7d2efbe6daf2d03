import { generateKeyPairSync, createSign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Google's certificate endpoint (a kid → PEM map, as
 * https://www.googleapis.com/oauth2/v1/certs serves) and identity tokens signed by its key or
 * by a stranger's, for the write functions' token checks.
 */
export interface FakeGoogle {
  certsUrl: string;
  /** Certificate fetches served so far. */
  fetches: number;
  sign(claims: Record<string, unknown>, opts?: { key?: 'google' | 'stranger'; kid?: string }): string;
  close(): Promise<void>;
}

const keyPair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function signJwt(claims: Record<string, unknown>, key: KeyObject, kid: string): string {
  const signed = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64(claims)}`;
  return `${signed}.${createSign('RSA-SHA256').update(signed).sign(key).toString('base64url')}`;
}

export async function startFakeGoogle(): Promise<FakeGoogle> {
  const google = keyPair();
  const stranger = keyPair();
  const kid = 'google-key-1';
  const pem = google.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const state = { fetches: 0 };
  const server = http.createServer((_req, res) => {
    state.fetches++;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=3600' }).end(JSON.stringify({ [kid]: pem }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    certsUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/v1/certs`,
    get fetches() {
      return state.fetches;
    },
    sign: (claims, opts = {}) => signJwt(claims, (opts.key === 'stranger' ? stranger : google).privateKey, opts.kid ?? kid),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The claims of a Cloud Scheduler OIDC token for `audience`, valid for an hour from now. */
export function schedulerClaims(audience: string, email: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: 'https://accounts.google.com', aud: audience, sub: '1234567890', email, email_verified: true, iat: now, exp: now + 3600, ...overrides };
}
