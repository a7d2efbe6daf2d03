import { openDatabase } from '../../db/connect.js';
import { ValidationError } from '../../errors.js';
import { setupTensorflow } from '../../models/tf.js';
import { defaultBacktest, runPitBacktest } from '../../pits/backtest.js';
import { formatBacktest } from '../../pits/report.js';
import { createRepository } from '../../repository/index.js';
import { writeJsonReport } from '../json-report.js';
import { flagCommand } from '../command.js';

export const backtestPitsCommand = flagCommand({
  summary: 'pit-stop model backtest: train 2019–2022, threshold 2023, test 2024 R1–R18 beside its baselines',
  usage: 'pitwall backtest-pits [--json FILE] [--epochs N]',
  flags: { json: { type: 'string' }, epochs: { type: 'string' } },
  async run({ config, logger, stdout }, values) {
    const epochs = values.epochs === undefined ? defaultBacktest.epochs : Number(values.epochs);
    if (!Number.isInteger(epochs) || epochs < 1 || epochs > 200) throw new ValidationError(`--epochs must be an integer 1..200\nusage: ${this.usage}`);
    const backend = await setupTensorflow({ logger });
    logger.info('tensorflow backend', { backend });
    const db = await openDatabase(config.database);
    try {
      const report = await runPitBacktest({ repo: createRepository(db.knex), logger }, { ...defaultBacktest, epochs });
      stdout.write(`${formatBacktest(report)}\n`);
      await writeJsonReport(values.json, { backend, ...report }, logger);
      return 0;
    } finally {
      await db.close();
    }
  },
});
