import { createAppContext, type AppContext } from '../shared/app/context.js';
import { parseConfig } from '../shared/config/config.js';
import { readEnvironment } from '../shared/config/env.js';
import { createLogger } from '../shared/log/logger.js';

/**
 * The function edge: configuration is read from the environment once, when the function
 * instance loads (top-level await, before the first request), and every function module
 * of this process shares the one context (one pool, one PGlite).
 */
const config = parseConfig(readEnvironment(process.env));
export const app: AppContext = await createAppContext(config, createLogger(config.log));
