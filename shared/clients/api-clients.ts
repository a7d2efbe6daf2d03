import type { Logger } from '../log/logger.js';
import type { Clock } from '../clock.js';
import { createHttpClient } from './http-client.js';
import { createJolpicaClient, type JolpicaClient } from './jolpica.js';
import { createOpenF1Client, type OpenF1Client } from './openf1.js';
import { createOpenMeteoClient, openMeteoLimits, type OpenMeteoClient } from './open-meteo.js';
import { jolpicaLimits, openf1Limits } from './pacer.js';
import { createRequestLedger } from './request-ledger.js';
import { createResponseCache } from './response-cache.js';

export interface ApiClientsConfig {
  jolpicaBaseUrl: string;
  openf1BaseUrl: string;
  /** OPENF1_TOKEN: a bearer for live sessions. */
  openf1Token?: string;
  openMeteoBaseUrl: string;
  /** On-disk response cache; created when missing. */
  httpCacheDir: string;
  jolpicaPageSize?: number;
  /** Timeouts and caps that keep a slow or hostile upstream from holding the caller. */
  upstream?: { requestTimeoutMs?: number; maxBodyBytes?: number; jolpicaMaxPages?: number };
}

const userAgent = 'pitwall/0.1 (F1 forecasting)';

/** The API clients as the edges build them: each with its own limits, sharing one cache folder. */
export function createApiClients(config: ApiClientsConfig, logger: Logger, clock?: Clock): { jolpica: JolpicaClient; openf1: OpenF1Client; openMeteo: OpenMeteoClient } {
  const cache = createResponseCache(config.httpCacheDir, logger);
  const ledger = createRequestLedger(config.httpCacheDir, logger);
  const up = config.upstream ?? {};
  const common = {
    cache, ledger, logger, userAgent,
    ...(clock ? { clock } : {}),
    ...(up.requestTimeoutMs ? { timeoutMs: up.requestTimeoutMs } : {}),
    ...(up.maxBodyBytes ? { maxBodyBytes: up.maxBodyBytes } : {}),
  };
  return {
    jolpica: createJolpicaClient({
      http: createHttpClient({ ...common, limits: jolpicaLimits }),
      baseUrl: config.jolpicaBaseUrl,
      ...(config.jolpicaPageSize ? { pageSize: config.jolpicaPageSize } : {}),
      ...(up.jolpicaMaxPages ? { maxPages: up.jolpicaMaxPages } : {}),
      // Deadlines are placed on the HTTP client's clock.
      ...(clock ? { now: () => clock.now().getTime() } : {}),
    }),
    openf1: createOpenF1Client({ http: createHttpClient({ ...common, limits: openf1Limits }), baseUrl: config.openf1BaseUrl, ...(config.openf1Token ? { token: config.openf1Token } : {}) }),
    openMeteo: createOpenMeteoClient({ http: createHttpClient({ ...common, limits: openMeteoLimits }), baseUrl: config.openMeteoBaseUrl }),
  };
}
