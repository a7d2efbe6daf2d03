import { parseArgs, type ParseArgsConfig } from 'node:util';
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

type FlagOptions = NonNullable<ParseArgsConfig['options']>;
/** The values node:util parseArgs gives for these options, strictly parsed. */
export type Flags<O extends FlagOptions> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true }>>['values'];

/** A command that takes only flags: `flags` are the parseArgs options, `run` gets their values. */
export interface FlagCommand<O extends FlagOptions> {
  summary: string;
  usage: string;
  flags: O;
  run(ctx: CommandContext, flags: Flags<O>): Promise<number>;
}

/**
 * The Command of a FlagCommand: argv parsed strictly (an unknown flag, or one without its
 * value, throws ERR_PARSE_ARGS_*, which main.ts reports as the caller's mistake).
 */
export function flagCommand<const O extends FlagOptions>(spec: FlagCommand<O>): Command {
  return {
    summary: spec.summary,
    usage: spec.usage,
    run: (ctx, argv) => spec.run(ctx, parseArgs({ args: argv, options: spec.flags, strict: true }).values),
  };
}
