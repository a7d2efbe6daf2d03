import path from 'node:path';
import { z } from 'zod';
import type { FreezePolicy } from '../domain/freeze-policy.js';
import { PRE_WEEKEND_HOURS_DEFAULT } from '../domain/freeze-instant.js';

/**
 * All configuration, parsed once at the edge (CLI entry, function entry) from an
 * environment record that is passed in. Nothing below the edges reads process.env.
 */

const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().min(1).optional());
const booleanFlag = z.preprocess(
  emptyToUndefined,
  z.enum(['true', 'false', '1', '0']).default('false').transform((v) => v === 'true' || v === '1'),
);

/** Caps on a zipped dump: the real one inflates to ~5 MB (with lap_times ~20 MB); the ingest function has 1 GiB. */
export const DEFAULT_ZIP_LIMITS = { entryMaxBytes: 64 * 1024 * 1024, totalMaxBytes: 256 * 1024 * 1024 };

/**
 * ALLOWED_ORIGINS: each entry an origin as a browser sends it in `Origin` (scheme://host[:port],
 * http or https, no path, no credentials), normalised (lowercase host, default port dropped);
 * `*` only alone.
 */
function parseAllowedOrigins(value: string, ctx: z.RefinementCtx): string[] {
  const entries = value.split(',').map((o) => o.trim()).filter(Boolean);
  if (entries.includes('*')) {
    if (entries.length > 1) ctx.addIssue({ code: 'custom', message: '* (any origin) must stand alone: give * or a list of origins, not both' });
    return ['*'];
  }
  const origins: string[] = [];
  for (const entry of entries) {
    const url = /^https?:\/\/[^/?#@\s]+$/i.test(entry) ? urlOrNull(entry) : null;
    if (!url) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not an origin: give scheme://host[:port] with http or https and no path, e.g. https://app.example,http://localhost:5173` });
      continue;
    }
    origins.push(url.origin);
  }
  return [...new Set(origins)];
}

function urlOrNull(s: string): URL | null {
  try {
    return new URL(s);
  } catch {
    return null;
  }
}

export const configSchema = z
  .object({
    PITWALL_ENV: z.preprocess(emptyToUndefined, z.enum(['local', 'test', 'production']).default('local')),
    PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(65535).default(8080)),

    DATABASE_URL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
        .optional(),
    ),
    CLOUD_SQL_INSTANCE: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^[^:]+:[^:]+:[^:]+$/, 'must be an instance connection name PROJECT:REGION:INSTANCE')
        .optional(),
    ),
    DB_USER: optionalString,
    DB_PASSWORD: optionalString,
    DB_NAME: z.preprocess(emptyToUndefined, z.string().min(1).default('pitwall')),
    DB_IAM_AUTH: booleanFlag,
    DB_POOL_MAX: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(100).default(5)),
    // Migrations run as the owner of the tables; the functions as an application role that
    // owns nothing (shared/db/app-role.ts). `pitwall migrate` connects with these when set.
    MIGRATION_DATABASE_URL: z.preprocess(
      emptyToUndefined,
      z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional(),
    ),
    DB_MIGRATION_USER: optionalString,
    DB_MIGRATION_PASSWORD: optionalString,
    DB_APP_ROLE: z.preprocess(
      emptyToUndefined,
      z.string().regex(/^[a-z_][a-z0-9_$]{0,62}$/, 'must be a lowercase PostgreSQL role name').optional(),
    ),
    PGLITE_DIR: z.preprocess(emptyToUndefined, z.string().default('data/pglite')),

    ARTIFACT_STORE_URI: z.preprocess(emptyToUndefined, z.string().default('data/artifacts')),
    GCS_API_ENDPOINT: optionalString,

    F1_DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('../shared/data')),
    F1_DUMP_DIR: optionalString,
    JOLPICA_BASE_URL: z.preprocess(emptyToUndefined, z.string().url().default('https://api.jolpi.ca/ergast/f1')),
    OPENF1_BASE_URL: z.preprocess(emptyToUndefined, z.string().url().default('https://api.openf1.org/v1')),
    // OpenF1 serves a running session only to authenticated users; history needs no token.
    OPENF1_TOKEN: optionalString,
    // Seconds between two polls of a live race session.
    LIVE_POLL_SECONDS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(600).default(30)),
    // Plan a live-timing job per race (the schedule function); default: on when OPENF1_TOKEN is set.
    LIVE_TIMING: z.preprocess(emptyToUndefined, z.enum(['true', 'false', '1', '0']).optional()),
    OPEN_METEO_BASE_URL: z.preprocess(emptyToUndefined, z.string().url().default('https://api.open-meteo.com/v1')),
    HTTP_CACHE_DIR: z.preprocess(emptyToUndefined, z.string().default('data/http-cache')),
    JOLPICA_PAGE_SIZE: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(100).default(100)),
    RESULTS_SOURCE: z.preprocess(emptyToUndefined, z.enum(['jolpica', 'dump']).default('dump')),
    // The upstream APIs: one attempt's timeout, a result sync's whole deadline (inside the
    // function's 300 s, leaving time to store, score and update the model), the largest body,
    // and the most requests one Jolpica listing may take.
    UPSTREAM_REQUEST_TIMEOUT_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(300_000).default(20_000)),
    SYNC_DEADLINE_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(280_000, 'must end inside the sync function\'s 300 s timeout with time to store and score: at most 280000').default(150_000)),
    UPSTREAM_MAX_BODY_BYTES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).default(20 * 1024 * 1024)),
    JOLPICA_MAX_PAGES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(500).default(100)),
    // POST /ingest reads local paths only under these folders (comma-separated; default: F1_DATA_DIR and data/)
    // and gs:// only from these buckets (default: none).
    INGEST_ROOTS: optionalString,
    INGEST_BUCKETS: z.preprocess(emptyToUndefined, z.string().default('')),
    // A zipped dump: inflated bytes allowed per table entry and in all (counted while inflating).
    DUMP_ZIP_ENTRY_MAX_BYTES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).default(DEFAULT_ZIP_LIMITS.entryMaxBytes)),
    DUMP_ZIP_TOTAL_MAX_BYTES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).default(DEFAULT_ZIP_LIMITS.totalMaxBytes)),
    // Stored-race pit forecasts (timelines, per-lap) kept per function instance; 0 turns the cache off.
    PITS_CACHE_ENTRIES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(10_000).default(128)),
    // Pit forecasts computing at once per instance, and waiting beyond those (more: 503); 0 running: no limit.
    PITS_MAX_RUNNING: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(64).default(1)),
    PITS_MAX_QUEUED: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(1000).default(8)),

    PREDICTION_FREEZE_POLICY: z.preprocess(
      emptyToUndefined,
      z.enum(['post_qualifying', 't_minus']).default('post_qualifying'),
    ),
    PREDICTION_FREEZE_TMINUTES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(10080).default(60)),
    // The pre-weekend forecast's freeze: this many hours before first practice (1 to 14 days' worth).
    PRE_WEEKEND_FREEZE_HOURS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(336).default(PRE_WEEKEND_HOURS_DEFAULT)),

    API_KEY: optionalString,
    // Google identity tokens accepted on writes (comma-separated): the audiences they may name
    // (the functions' URLs), the service accounts they may belong to, and where Google's keys are.
    AUTH_AUDIENCES: z.preprocess(emptyToUndefined, z.string().default('')),
    AUTH_ALLOWED_EMAILS: z.preprocess(emptyToUndefined, z.string().default('')),
    AUTH_CERTS_URL: z.preprocess(emptyToUndefined, z.string().url().default('https://www.googleapis.com/oauth2/v1/certs')),
    // Pages on other origins that may call the read API from a browser (CORS): exact origins,
    // comma-separated, or * alone for any origin (never with credentials). Default: none.
    ALLOWED_ORIGINS: z.preprocess(emptyToUndefined, z.string().default('').transform(parseAllowedOrigins)),

    // Parse every HTTP answer with its route's declared schema; a mismatch answers 500 (the test suite turns it on).
    RESPONSE_CONTRACT_CHECKS: booleanFlag,

    GCP_PROJECT: optionalString,
    GCP_REGION: z.preprocess(emptyToUndefined, z.string().default('europe-west1')),
    SCHEDULER_API_ENDPOINT: optionalString,
    SCHEDULER_SERVICE_ACCOUNT: optionalString,
    FUNCTIONS_BASE_URL: optionalString,

    LOG_FORMAT: z.preprocess(emptyToUndefined, z.enum(['auto', 'json', 'pretty']).default('auto')),
    LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['debug', 'info', 'warn', 'error']).default('info')),

    K_REVISION: optionalString,
    GIT_COMMIT: optionalString,
    CLOUD_RUN_TASK_INDEX: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).default(0)),
    CLOUD_RUN_TASK_COUNT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).default(1)),
    CLOUD_RUN_TASK_ATTEMPT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).default(0)),
  })
  .superRefine((c, ctx) => {
    if (c.CLOUD_SQL_INSTANCE && !c.DB_USER) {
      ctx.addIssue({ code: 'custom', path: ['DB_USER'], message: 'DB_USER is required with CLOUD_SQL_INSTANCE' });
    }
    if (c.DB_MIGRATION_USER && !c.CLOUD_SQL_INSTANCE) {
      ctx.addIssue({ code: 'custom', path: ['DB_MIGRATION_USER'], message: 'DB_MIGRATION_USER is a Cloud SQL user: set CLOUD_SQL_INSTANCE, or use MIGRATION_DATABASE_URL' });
    }
    if (c.DB_MIGRATION_USER && !c.DB_IAM_AUTH && !c.DB_MIGRATION_PASSWORD) {
      ctx.addIssue({ code: 'custom', path: ['DB_MIGRATION_PASSWORD'], message: 'DB_MIGRATION_PASSWORD is required with DB_MIGRATION_USER unless DB_IAM_AUTH=true' });
    }
    if ((c.DB_APP_ROLE || c.MIGRATION_DATABASE_URL) && !c.CLOUD_SQL_INSTANCE && !c.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: [c.DB_APP_ROLE ? 'DB_APP_ROLE' : 'MIGRATION_DATABASE_URL'],
        message: 'needs a PostgreSQL server (DATABASE_URL or CLOUD_SQL_INSTANCE): the embedded PGlite has a single role, so there is nothing to grant',
      });
    }
    if (c.CLOUD_SQL_INSTANCE && !c.DB_IAM_AUTH && !c.DB_PASSWORD) {
      ctx.addIssue({
        code: 'custom',
        path: ['DB_PASSWORD'],
        message: 'DB_PASSWORD is required with CLOUD_SQL_INSTANCE unless DB_IAM_AUTH=true',
      });
    }
  });

/**
 * What a deployed function (and the training job) must be given in production, beyond the
 * laptop defaults above. Terraform sets it; test/infra parses the .tf files and checks every
 * deployed function against it. DB_PASSWORD is a Secret Manager secret unless DB_IAM_AUTH.
 */
const requiredValue = z.string().min(1);
export const productionEnvSchema = z
  .object({
    PITWALL_ENV: z.literal('production'),
    CLOUD_SQL_INSTANCE: requiredValue,
    DB_USER: requiredValue,
    DB_NAME: requiredValue,
    DB_IAM_AUTH: z.enum(['true', 'false']),
    DB_PASSWORD: requiredValue.optional(),
    ARTIFACT_STORE_URI: z.string().startsWith('gs://'),
    GCP_PROJECT: requiredValue,
    GCP_REGION: requiredValue,
  })
  .refine((e) => e.DB_IAM_AUTH === 'true' || e.DB_PASSWORD !== undefined, {
    path: ['DB_PASSWORD'],
    message: 'DB_PASSWORD is required unless DB_IAM_AUTH=true',
  });

/** Further production variables of individual functions, by functions/ directory. */
export const productionEnvByFunction: Record<string, z.ZodType> = {
  schedule: z.object({ SCHEDULER_SERVICE_ACCOUNT: requiredValue, FUNCTIONS_BASE_URL: z.string().startsWith('https://') }),
  'sync-results': z.object({ RESULTS_SOURCE: z.literal('jolpica') }),
};

export type DatabaseConfig =
  | { kind: 'pglite'; dir: string }
  | { kind: 'postgres'; url: string; poolMax: number }
  | {
      kind: 'cloud-sql';
      instance: string;
      user: string;
      password?: string;
      database: string;
      iamAuth: boolean;
      poolMax: number;
    };

/** The role a database connection logs in as, when the configuration names it. */
function userOf(database: DatabaseConfig): string | undefined {
  if (database.kind === 'cloud-sql') return database.user;
  if (database.kind === 'postgres') return decodeURIComponent(new URL(database.url).username) || undefined;
  return undefined;
}

export interface Config {
  env: 'local' | 'test' | 'production';
  port: number;
  database: DatabaseConfig;
  /** Where `pitwall migrate` connects, as the owner of the tables, when not `database`. */
  migrationDatabase?: DatabaseConfig;
  /** The role `pitwall migrate` grants the application's privileges to (none: grants skipped). */
  appRole?: string;
  artifactStoreUri: string;
  gcsApiEndpoint?: string;
  dataDir: string;
  dumpDir?: string;
  jolpicaBaseUrl: string;
  openf1BaseUrl: string;
  /** OpenF1 access token (OPENF1_TOKEN), sent as a bearer: needed for a session while it runs. */
  openf1Token?: string;
  /**
   * Live race polling: seconds between two polls (LIVE_POLL_SECONDS, default 30); whether the
   * schedule function plans a live job per race (LIVE_TIMING, default: when a token is set).
   */
  live: { pollSeconds: number; enabled: boolean };
  /** Open-Meteo's forecast API (race-day weather; no key). */
  openMeteoBaseUrl: string;
  httpCacheDir: string;
  jolpicaPageSize: number;
  resultsSource: 'jolpica' | 'dump';
  upstream: { requestTimeoutMs: number; syncDeadlineMs: number; maxBodyBytes: number; jolpicaMaxPages: number };
  ingest: IngestSettings;
  pits: { cacheEntries: number; maxRunning: number; maxQueued: number };
  /** Responses parsed with their routes' schemas (RESPONSE_CONTRACT_CHECKS). */
  checkResponses: boolean;
  freezePolicy: FreezePolicy;
  /** The second forecast of every race: N hours before first practice (PRE_WEEKEND_FREEZE_HOURS). */
  preWeekendPolicy: FreezePolicy & { kind: 'pre_weekend' };
  apiKey?: string;
  /** Origins whose pages may call the read API (CORS); ['*']: any; empty: no CORS headers. */
  allowedOrigins: string[];
  /** Identity tokens on writes; empty lists mean no bearer is accepted. */
  identity: { audiences: string[]; allowedEmails: string[]; certsUrl: string };
  gcp: { project?: string; region: string; schedulerEndpoint?: string; schedulerServiceAccount?: string };
  functionsBaseUrl?: string;
  log: { format: 'auto' | 'json' | 'pretty'; level: 'debug' | 'info' | 'warn' | 'error' };
  revision?: string;
  cloudRunTask: { index: number; count: number; attempt: number };
}

export interface IngestSettings {
  /** Absolute folders POST /ingest may read from. */
  roots: string[];
  /** Buckets POST /ingest may read gs:// dumps from. */
  buckets: string[];
  zip: { entryMaxBytes: number; totalMaxBytes: number };
}

export class ConfigError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

const list = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean);

/** Parses an environment record. `cwd` anchors the relative paths (data/, ../shared/data). */
export function parseConfig(env: Record<string, string | undefined>, cwd: string = process.cwd()): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  }
  const c = parsed.data;
  const abs = (p: string) => (path.isAbsolute(p) ? p : path.resolve(cwd, p));

  let database: DatabaseConfig;
  if (c.CLOUD_SQL_INSTANCE) {
    database = {
      kind: 'cloud-sql',
      instance: c.CLOUD_SQL_INSTANCE,
      user: c.DB_USER!,
      ...(c.DB_PASSWORD ? { password: c.DB_PASSWORD } : {}),
      database: c.DB_NAME,
      iamAuth: c.DB_IAM_AUTH,
      poolMax: c.DB_POOL_MAX,
    };
  } else if (c.DATABASE_URL) {
    database = { kind: 'postgres', url: c.DATABASE_URL, poolMax: c.DB_POOL_MAX };
  } else {
    database = { kind: 'pglite', dir: abs(c.PGLITE_DIR) };
  }

  let migrationDatabase: DatabaseConfig | undefined;
  if (c.MIGRATION_DATABASE_URL) migrationDatabase = { kind: 'postgres', url: c.MIGRATION_DATABASE_URL, poolMax: 1 };
  else if (c.DB_MIGRATION_USER && database.kind === 'cloud-sql') {
    const { password: _appPassword, ...instance } = database;
    migrationDatabase = { ...instance, user: c.DB_MIGRATION_USER, ...(c.DB_MIGRATION_PASSWORD ? { password: c.DB_MIGRATION_PASSWORD } : {}), poolMax: 1 };
  }
  // With a separate owner connection, the application role is the one the app logs in as.
  const appRole = c.DB_APP_ROLE ?? (migrationDatabase ? userOf(database) : undefined);

  const artifactStoreUri = c.ARTIFACT_STORE_URI.startsWith('gs://') ? c.ARTIFACT_STORE_URI : abs(c.ARTIFACT_STORE_URI);

  return {
    env: c.PITWALL_ENV,
    port: c.PORT,
    database,
    ...(migrationDatabase ? { migrationDatabase } : {}),
    ...(appRole ? { appRole } : {}),
    artifactStoreUri,
    ...(c.GCS_API_ENDPOINT ? { gcsApiEndpoint: c.GCS_API_ENDPOINT } : {}),
    dataDir: abs(c.F1_DATA_DIR),
    ...(c.F1_DUMP_DIR ? { dumpDir: abs(c.F1_DUMP_DIR) } : {}),
    jolpicaBaseUrl: c.JOLPICA_BASE_URL.replace(/\/+$/, ''),
    openf1BaseUrl: c.OPENF1_BASE_URL.replace(/\/+$/, ''),
    ...(c.OPENF1_TOKEN ? { openf1Token: c.OPENF1_TOKEN } : {}),
    live: { pollSeconds: c.LIVE_POLL_SECONDS, enabled: c.LIVE_TIMING === undefined ? Boolean(c.OPENF1_TOKEN) : c.LIVE_TIMING === 'true' || c.LIVE_TIMING === '1' },
    openMeteoBaseUrl: c.OPEN_METEO_BASE_URL.replace(/\/+$/, ''),
    httpCacheDir: abs(c.HTTP_CACHE_DIR),
    jolpicaPageSize: c.JOLPICA_PAGE_SIZE,
    resultsSource: c.RESULTS_SOURCE,
    upstream: { requestTimeoutMs: c.UPSTREAM_REQUEST_TIMEOUT_MS, syncDeadlineMs: c.SYNC_DEADLINE_MS, maxBodyBytes: c.UPSTREAM_MAX_BODY_BYTES, jolpicaMaxPages: c.JOLPICA_MAX_PAGES },
    ingest: {
      roots: (c.INGEST_ROOTS ? c.INGEST_ROOTS.split(',') : [c.F1_DATA_DIR, 'data']).map((p) => p.trim()).filter(Boolean).map(abs),
      buckets: c.INGEST_BUCKETS.split(',').map((b) => b.trim().replace(/^gs:\/\//, '').replace(/\/+$/, '')).filter(Boolean),
      zip: { entryMaxBytes: c.DUMP_ZIP_ENTRY_MAX_BYTES, totalMaxBytes: c.DUMP_ZIP_TOTAL_MAX_BYTES },
    },
    pits: { cacheEntries: c.PITS_CACHE_ENTRIES, maxRunning: c.PITS_MAX_RUNNING, maxQueued: c.PITS_MAX_QUEUED },
    checkResponses: c.RESPONSE_CONTRACT_CHECKS,
    freezePolicy:
      c.PREDICTION_FREEZE_POLICY === 't_minus'
        ? { kind: 't_minus', minutes: c.PREDICTION_FREEZE_TMINUTES }
        : { kind: 'post_qualifying' },
    preWeekendPolicy: { kind: 'pre_weekend', hours: c.PRE_WEEKEND_FREEZE_HOURS },
    ...(c.API_KEY ? { apiKey: c.API_KEY } : {}),
    allowedOrigins: c.ALLOWED_ORIGINS,
    identity: {
      audiences: list(c.AUTH_AUDIENCES),
      allowedEmails: list(c.AUTH_ALLOWED_EMAILS).map((e) => e.toLowerCase()),
      certsUrl: c.AUTH_CERTS_URL,
    },
    gcp: {
      ...(c.GCP_PROJECT ? { project: c.GCP_PROJECT } : {}),
      region: c.GCP_REGION,
      ...(c.SCHEDULER_API_ENDPOINT ? { schedulerEndpoint: c.SCHEDULER_API_ENDPOINT } : {}),
      ...(c.SCHEDULER_SERVICE_ACCOUNT ? { schedulerServiceAccount: c.SCHEDULER_SERVICE_ACCOUNT } : {}),
    },
    ...(c.FUNCTIONS_BASE_URL ? { functionsBaseUrl: c.FUNCTIONS_BASE_URL.replace(/\/+$/, '') } : {}),
    log: { format: c.LOG_FORMAT, level: c.LOG_LEVEL },
    ...((c.GIT_COMMIT ?? c.K_REVISION) ? { revision: c.GIT_COMMIT ?? c.K_REVISION } : {}),
    cloudRunTask: { index: c.CLOUD_RUN_TASK_INDEX, count: c.CLOUD_RUN_TASK_COUNT, attempt: c.CLOUD_RUN_TASK_ATTEMPT },
  };
}
