import type { AddressInfo } from 'node:net';
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../shared/http/handler.js';
import { toHttpFunction } from '../../shared/http/express-adapter.js';
import { silentLogger } from '../../shared/log/logger.js';

describe('the functions-framework adapter, behind functions-framework', () => {
  const snapshot = { id: 7, entries: [{ driver: 'VER', pWin: 0.4 }] };
  const live = { n: 1 };
  let server: ReturnType<typeof getTestServer>;
  let url: string;

  beforeAll(async () => {
    http(
      'adapterTest',
      toHttpFunction(async (req): Promise<HttpResponse> => {
        if (req.path === '/stable') return { status: 200, headers: { ETag: '"s"' }, body: snapshot, stableBody: true };
        return { status: 200, headers: {}, body: live };
      }, silentLogger),
    );
    server = getTestServer('adapterTest');
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('serialises a stable body once and serves the same JSON after, with its headers', async () => {
    const first = await fetch(`${url}/stable`);
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    expect(first.headers.get('etag')).toBe('"s"');
    const text = await first.text();
    expect(JSON.parse(text)).toEqual(snapshot);
    // A stable body is promised never to change; were it changed, the kept JSON shows it was not re-serialised.
    snapshot.entries[0]!.pWin = 0.9;
    expect(await (await fetch(`${url}/stable`)).text()).toBe(text);
  });

  it('serialises other bodies on every response', async () => {
    expect(await (await fetch(`${url}/live`)).json()).toEqual({ n: 1 });
    live.n = 2;
    expect(await (await fetch(`${url}/live`)).json()).toEqual({ n: 2 });
  });
});
