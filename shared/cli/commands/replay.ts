import fs from 'node:fs/promises';
import path from 'node:path';
import { createAppContext } from '../../app/context.js';
import { ValidationError } from '../../errors.js';
import { formatReplay } from '../../lifecycle/replay.js';
import { FIRST_FORECAST_SEASON } from '../../lifecycle/predict.js';
import { flagCommand } from '../command.js';
import { prepareLocalStack, replayLocally } from '../local-stack.js';
import { formatComparison, replayEmulated } from '../emulated-replay.js';
import type { Logger } from '../../log/logger.js';

export const replayCommand = flagCommand({
  summary: 'replay a season through the real functions with a simulated clock: freeze, sync, evaluate; print the table',
  usage: 'pitwall replay --season <year> [--upstream dump|emulated] [--rounds N] [--no-train] [--json <file>]',
  flags: { season: { type: 'string' }, json: { type: 'string' }, upstream: { type: 'string' }, rounds: { type: 'string' }, 'no-train': { type: 'boolean' } },
  async run({ config, logger, stdout }, values) {
    const season = Number(values.season);
    if (!Number.isInteger(season) || season < 1950 || season > 2100) throw new ValidationError(`--season must be a year, got ${values.season ?? '(none)'}\nusage: ${this.usage}`);
    if (season < FIRST_FORECAST_SEASON) throw new ValidationError(`pitwall forecasts races from ${FIRST_FORECAST_SEASON} on; --season ${season} is earlier`);
    const upstream = values.upstream ?? 'dump';
    if (upstream !== 'dump' && upstream !== 'emulated') throw new ValidationError(`--upstream must be dump or emulated, got ${upstream}\nusage: ${this.usage}`);
    const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
    if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1 && rounds <= 40)) throw new ValidationError(`--rounds must be a number of rounds (1–40), got ${values.rounds}`);
    if (upstream === 'emulated') {
      // Its own databases (the seasons before, then each path): the configured one is not touched.
      const report = await replayEmulated(config, logger, season, { ...(rounds === undefined ? {} : { rounds }), train: !values['no-train'] });
      stdout.write(formatReplay(report.emulated));
      stdout.write(formatComparison(report));
      await writeJson(values.json, report, logger);
      return report.forecasts.every((f) => f.both && f.equal && f.sameScore) ? 0 : 1;
    }
    // Replays are local: the functions run in this process, so no write credentials apply.
    const app = await createAppContext({ ...config, env: 'local', resultsSource: config.resultsSource }, logger);
    try {
      await prepareLocalStack(app, { train: !values['no-train'], trainedBefore: season });
      const report = await replayLocally(app, season, rounds === undefined ? {} : { rounds });
      stdout.write(formatReplay(report));
      await writeJson(values.json, report, logger);
      return report.races.some((r) => r.positionMae !== null) ? 0 : 1;
    } finally {
      await app.close();
    }
  },
});

async function writeJson(file: string | undefined, report: unknown, logger: Logger): Promise<void> {
  if (!file) return;
  await fs.writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  logger.info(`replay report written to ${path.resolve(file)}`, { file: path.resolve(file) });
}
