import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { nextCronRun } from '../../shared/scheduler/cron.js';
import { rpcCodeOfHttp } from '../../shared/scheduler/port.js';

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
  /**
   * Runs job `name` (full resource name) at `at` as Cloud Scheduler would: its target answered
   * `httpStatus`; lastAttemptTime, status and scheduleTime change as the real API shows them.
   */
  attempt(name: string, at: Date, httpStatus: number): void;
  close(): Promise<void>;
}

const error = (res: http.ServerResponse, code: number, status: string, message: string) => {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code, status, message } }));
};

/** `now`: the fake's clock, from which it computes each job's next run (scheduleTime, output only). */
export async function startFakeScheduler(opts: { now?: () => Date } = {}): Promise<FakeScheduler> {
  const now = opts.now ?? (() => new Date());
  const jobs = new Map<string, Record<string, unknown>>();
  // Output-only fields in their REST form: RFC 3339 timestamps, the state by name.
  const scheduled = (job: Record<string, unknown>, after: Date) => {
    const next = nextCronRun(String(job.schedule ?? ''), after, String(job.timeZone ?? 'Etc/UTC'));
    if (next) job.scheduleTime = next.toISOString();
    else delete job.scheduleTime;
  };
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
      const job: Record<string, unknown> = { ...body, state: 'ENABLED', userUpdateTime: new Date().toISOString() };
      scheduled(job, now());
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
      scheduled(job, now());
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
    attempt(name, at, httpStatus) {
      const job = jobs.get(name);
      if (!job) throw new Error(`fake scheduler: no job ${name}`);
      job.lastAttemptTime = at.toISOString();
      // A success leaves an empty status; a failure names its google.rpc code.
      job.status = httpStatus >= 200 && httpStatus < 300 ? {} : { code: rpcCodeOfHttp(httpStatus), message: `HTTP ${httpStatus}` };
      scheduled(job, now());
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * The real @google-cloud/scheduler client over the fake, in REST fallback mode, as a port
 * implementation; a static token, since the fake checks no credentials and none must be looked up.
 */
export async function googleSchedulerOver(fake: FakeScheduler, location = { project: 'proj', region: 'europe-west1' }) {
  const { CloudSchedulerClient } = await import('@google-cloud/scheduler');
  const { GoogleCloudScheduler } = await import('../../shared/scheduler/google.js');
  const client = new CloudSchedulerClient({
    fallback: true,
    apiEndpoint: '127.0.0.1',
    port: fake.port,
    protocol: 'http',
    authClient: {
      getRequestHeaders: async () => new Headers({ Authorization: 'Bearer test' }),
      fetch: (url: string, init: RequestInit & { headers: Headers }) => {
        init.headers.set('Authorization', 'Bearer test');
        return fetch(url, init);
      },
    },
  } as ConstructorParameters<typeof CloudSchedulerClient>[0]);
  return { scheduler: new GoogleCloudScheduler(client, location), close: () => client.close() };
}
