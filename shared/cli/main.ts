#!/usr/bin/env node
import { ConfigError, parseConfig } from '../config/config.js';
import { readEnvironment } from '../config/env.js';
import { PitwallError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { commands } from './commands/index.js';

/** The `pitwall` operator CLI: the edge where the environment is read, once. */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  let config;
  try {
    config = parseConfig(readEnvironment(env));
  } catch (err) {
    if (err instanceof ConfigError) {
      // No configuration to take the log format from: JSON off a terminal, as always.
      createLogger({ format: 'auto', level: 'info', fields: { command: name } }).error(err.message, { code: 'invalid_config', issues: err.issues });
      return 2;
    }
    throw err;
  }
  const logger = createLogger({ ...config.log, fields: { command: name } });
  try {
    return await command.run({ config, logger, stdout: process.stdout }, rest);
  } catch (err) {
    if (err instanceof PitwallError) {
      logger.error(err.message, { code: err.code, ...(err.details ?? {}) });
      return err.code === 'invalid_request' ? 2 : 1;
    }
    // node:util parseArgs: an unknown option or one without its value is the caller's mistake.
    if (err instanceof TypeError && String((err as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS')) {
      logger.error(`${err.message}\nusage: ${command.usage}`, { code: 'invalid_request' });
      return 2;
    }
    logger.error('command failed', { err });
    return 1;
  }
}

function usage(): string {
  const lines = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(14)} ${c.summary}`);
  return `usage: pitwall <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

// Cloud Run jobs and shells alike: exit non-zero on failure.
main(process.argv.slice(2), process.env).then(
  (code) => exitAfter(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    exitAfter(1);
  },
);

/**
 * Once the command has returned nothing more is due, so a handle some library left open (a
 * client's socket, a pool, a timer) must not keep the process alive: a command that had
 * printed its error used to hang until killed. The short grace lets buffered output drain;
 * unref'd, it does not itself hold a process that is free to end.
 */
function exitAfter(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(), 250).unref();
}
