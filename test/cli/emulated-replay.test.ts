import { describe, expect, it } from 'vitest';
import { replayEmulated } from '../../shared/cli/emulated-replay.js';
import { parseConfig } from '../../shared/config/config.js';
import { silentLogger } from '../../shared/log/logger.js';
import { dataDir, requireData } from '../helpers/settings.js';

const data = requireData();

/**
 * The season through the production path: the first rounds of 2024 from a database holding only
 * the seasons before, every row arriving through Cloud Scheduler's jobs (simulated) from the
 * upstream emulator, with its 429s and 5xx, beside the dump-based replay from the same start.
 * Without training (both forecast by the qualifying-order baseline) to keep it to minutes; the
 * command's full run with a trained model is in bench/README.md.
 */
describe.skipIf(data.skip)('pitwall replay --upstream emulated', () => {
  it('freezes and scores the same forecasts as the dump-based replay, and stores the same rows in every table', async () => {
    const config = parseConfig({ F1_DATA_DIR: dataDir });
    const report = await replayEmulated(config, silentLogger, 2024, { rounds: 3, train: false });

    expect(report.rounds).toBe(3);
    expect(report.forecasts.map((f) => [f.round, f.both, f.equal, f.sameScore])).toEqual([[1, true, true, true], [2, true, true, true], [3, true, true, true]]);
    expect(report.emulated.races.map((r) => r.actualWinner)).toEqual(['Max Verstappen', 'Max Verstappen', 'Carlos Sainz']);
    for (const t of report.tables) {
      expect({ table: t.table, differing: t.differing, onlyEmulated: t.onlyLeft, onlyDump: t.onlyRight, examples: t.examples, missing: t.missing })
        .toEqual({ table: t.table, differing: 0, onlyEmulated: 0, onlyDump: 0, examples: [], missing: [] });
    }
    // Every per-race table has rows: nothing passed by being empty on both sides.
    const rows = Object.fromEntries(report.tables.map((t) => [t.table, t.left]));
    for (const table of ['results', 'qualifying', 'driver_standings', 'constructor_standings', 'constructor_results', 'pit_stops', 'laps']) expect(rows[table], table).toBeGreaterThan(0);

    // The upstream failed now and then, and every job still got its data in the end.
    expect(report.upstream.throttled + report.upstream.failed).toBeGreaterThan(0);
    expect(report.jobs.gaveUp).toEqual([]);
    for (const kind of ['refresh', 'qualifying', 'freeze', 'sync', 'postrace', 'openf1']) expect(report.jobs.byKind[kind]?.attempts, kind).toBeGreaterThan(0);
  }, 900_000);
});
