import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onCi } from '../helpers/settings.js';
import type { DevServer } from '../../shared/app/dev-server.js';
import { LAPS } from '../ingest/live/live-race.js';
import { postgres, startLiveRaceStack, type LiveRaceStack } from '../live/live-race-stack.js';
import { cliBuilt, cliPath, rawLines, runCli } from './run-cli.js';

if (onCi && !cliBuilt) throw new Error(`${cliPath} is missing: npm run build first`);

/** `pitwall live --replay` as a user runs it against a running stack (npm start): its own process, its log lines. */
describe.skipIf(!cliBuilt || postgres.skip)('pitwall live', () => {
  let stack: LiveRaceStack;
  let server: DevServer;
  let raceId: number;

  beforeAll(async () => {
    stack = await startLiveRaceStack();
    ({ server, raceId } = stack);
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  const lines = (stderr: string) => stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { message: string; lap?: number; lastLap?: number; ended?: boolean });

  it('replays a stored race through the running stack: the dashboard URL, a line per lap, the outcome', async () => {
    const run = await runCli(['live', '--replay', '2024/1', '--speed', '200', '--server', server.url], { cwd: os.tmpdir(), deadlineMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(rawLines(run.stderr)).toEqual([]);
    const log = lines(run.stderr);
    expect(log.map((l) => l.message)).toContain(`live on the dashboard: ${server.url}/dashboard/?live=${raceId}`);
    const laps = log.filter((l) => l.message === 'live tick').map((l) => l.lap!);
    expect(laps.at(-1)).toBe(LAPS);
    expect(laps).toEqual([...laps].sort((a, b) => a - b));
    expect(log.at(-1)).toMatchObject({ message: expect.stringMatching(/^replay over: \d+ ticks to lap 12$/), lastLap: LAPS, ended: true });
  }, 90_000);

  it('says what is wrong: a round the season does not have, no race given, a server that is not there', async () => {
    const round = await runCli(['live', '--replay', '2024/9', '--server', server.url], { cwd: os.tmpdir() });
    expect(round.code).toBe(2);
    expect(round.stderr).toMatch(/2024 has rounds 1–1, not 9/);
    const none = await runCli(['live'], { cwd: os.tmpdir() });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give one of --replay <season>\/<round> or --race <season>\/<round>/);
    const gone = await runCli(['live', '--replay', '2024/1', '--server', 'http://127.0.0.1:9'], { cwd: os.tmpdir() });
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/nothing answers at http:\/\/127.0.0.1:9: start it \(npm start\)/);
  }, 60_000);
});
