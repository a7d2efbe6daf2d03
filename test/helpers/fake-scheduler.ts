import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local fake of the Cloud Scheduler v1 REST API (the surface pitwall uses: list,
 * get, create, patch, delete jobs), so the real @google-cloud/scheduler client can be
 * contract-tested in REST fallback mode. It checks what the real API checks for these
 * calls: the job name belongs to the parent, a schedule and a target are present,
 * duplicates are ALREADY_EXISTS (409), unknown jobs NOT_FOUND (404).
 */
export interface FakeScheduler {
  port: number;
  jobs: Map<string, Record<string, unknown>>;
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

const error = (res: http.ServerResponse, code: number, status: string, message: string) => {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code, status, message } }));
};

export async function startFakeScheduler(): Promise<FakeScheduler> {
  const jobs = new Map<string, Record<string, unknown>>();
  const requests: { method: string; path: string }[] = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = decodeURIComponent(url.pathname);
    requests.push({ method: req.method ?? '', path });
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const send = (obj: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    const collection = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+)\/jobs$/.exec(path);
    const single = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/jobs\/[^/]+)$/.exec(path);
    if (collection && req.method === 'GET') {
      const parent = collection[1]!;
      return send({ jobs: [...jobs.values()].filter((j) => String(j.name).startsWith(`${parent}/jobs/`)) });
    }
    if (collection && req.method === 'POST') {
      const parent = collection[1]!;
      const name = String(body.name ?? '');
      if (!name.startsWith(`${parent}/jobs/`) || !/^[A-Za-z0-9_-]{1,500}$/.test(name.slice(parent.length + 6))) {
        return error(res, 400, 'INVALID_ARGUMENT', `job name ${name} is not under ${parent}`);
      }
      if (!body.schedule) return error(res, 400, 'INVALID_ARGUMENT', 'schedule is required');
      if (!body.httpTarget) return error(res, 400, 'INVALID_ARGUMENT', 'a target is required');
      if (jobs.has(name)) return error(res, 409, 'ALREADY_EXISTS', `job ${name} already exists`);
      const job = { ...body, state: 1, userUpdateTime: new Date().toISOString() };
      jobs.set(name, job);
      return send(job);
    }
    if (single && req.method === 'GET') {
      const job = jobs.get(single[1]!);
      return job ? send(job) : error(res, 404, 'NOT_FOUND', `job ${single[1]} not found`);
    }
    if (single && req.method === 'PATCH') {
      const name = single[1]!;
      const job = jobs.get(name);
      if (!job) return error(res, 404, 'NOT_FOUND', `job ${name} not found`);
      const mask = (url.searchParams.get('updateMask') ?? '').split(',').filter(Boolean);
      const camel = (s: string) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
      const fields = mask.length ? mask.map(camel) : Object.keys(body);
      for (const f of fields) {
        if (body[f] === undefined) delete job[f];
        else job[f] = body[f];
      }
      job.userUpdateTime = new Date().toISOString();
      return send(job);
    }
    if (single && req.method === 'DELETE') {
      return jobs.delete(single[1]!) ? send({}) : error(res, 404, 'NOT_FOUND', `job ${single[1]} not found`);
    }
    return error(res, 404, 'NOT_FOUND', `no route ${req.method} ${path}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    jobs,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
