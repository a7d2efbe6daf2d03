import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';

/** What every CLI command receives from the CLI edge. */
export interface CommandContext {
  config: Config;
  logger: Logger;
  /** Where a command writes its result (JSON summaries, tables); logs go to stderr. */
  stdout: NodeJS.WritableStream;
}

export interface Command {
  summary: string;
  usage: string;
  /** Resolves to the process exit code. */
  run(ctx: CommandContext, argv: string[]): Promise<number>;
}
