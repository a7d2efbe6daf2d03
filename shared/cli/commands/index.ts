import type { Command } from '../command.js';
import { backtestCommand } from './backtest.js';
import { backtestPitsCommand } from './backtest-pits.js';
import { backtestLiveCommand } from './backtest-live.js';
import { backtestPreWeekendCommand } from './backtest-pre-weekend.js';
import { backtestChampionshipCommand } from './backtest-championship.js';
import { ingestCommand } from './ingest.js';
import { liveCommand } from './live.js';
import { migrateCommand } from './migrate.js';
import { trainCommand } from './train.js';
import { replayCommand } from './replay.js';
import { scheduleCommand } from './schedule.js';
import { serveCommand } from './serve.js';

/** Every operator command, by name. */
export const commands: Record<string, Command> = {
  migrate: migrateCommand,
  ingest: ingestCommand,
  serve: serveCommand,
  replay: replayCommand,
  live: liveCommand,
  schedule: scheduleCommand,
  'backtest-pits': backtestPitsCommand,
  'backtest-live': backtestLiveCommand,
  'backtest-pre-weekend': backtestPreWeekendCommand,
  'backtest-championship': backtestChampionshipCommand,
  train: trainCommand,
  backtest: backtestCommand,
};
