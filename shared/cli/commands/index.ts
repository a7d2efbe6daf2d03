import type { Command } from '../command.js';
import { backtestPitsCommand } from './backtest-pits.js';
import { ingestCommand } from './ingest.js';
import { migrateCommand } from './migrate.js';

/** Every operator command, by name. */
export const commands: Record<string, Command> = {
  migrate: migrateCommand,
  ingest: ingestCommand,
  'backtest-pits': backtestPitsCommand,
};
