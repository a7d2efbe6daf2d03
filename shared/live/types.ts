import type { Compound } from '../domain/reference.js';

/**
 * The live race, one definition for every part of the live path: the ingest's poll, the
 * forecasts, the stored tick, the push to dashboards and the backtest-live replay.
 */

import type { TrackStatus } from '../domain/track-status.js';

/** The track status in effect: one definition, in the domain. */
export type { TrackStatus };

/** One car's place in the running order at a tick. */
export interface LiveCar {
  driverId: number;
  constructorId: number | null;
  position: number;
  /** Laps this car has completed. */
  lapsCompleted: number;
  /** Gap to the leader on the road (null for the leader), and to the car ahead (null for the leader). */
  gapToLeaderMs: number | null;
  intervalMs: number | null;
  lastLapMs: number | null;
  compound: Compound | null;
  tyreLife: number | null;
  /** Stops made so far (tyre changes, not pit-lane passes). */
  stops: number;
  /** Compounds run so far (the two-compound rule); absent where not known. */
  compoundsUsed?: Compound[];
  /** Out of the race (stopped completing laps while the leader ran on, or retired in the data). */
  retired: boolean;
}

/** The race as known at one instant. */
export interface LiveRaceState {
  raceId: number;
  totalLaps: number;
  /** Laps the leader has completed. */
  lap: number;
  trackStatus: TrackStatus;
  cars: LiveCar[];
}

/** P(the car pits within the next 1, 3, 5 laps) at the tick. */
export interface LivePitOdds {
  driverId: number;
  within1: number;
  within3: number;
  within5: number;
  /** P(next lap) at or above the model's chosen threshold. */
  alarm: boolean;
}

/** The live finishing forecast of one car, coherent across the field (from the same sampled orders). */
export interface LiveFinishOdds {
  driverId: number;
  win: number;
  podium: number;
  points: number;
  expectedPosition: number;
}

/** What one live tick computed and stored; what the dashboard is pushed. */
export interface LiveTick {
  /** The stored tick's id (live_ticks), set once stored. */
  id?: number;
  raceId: number;
  season: number;
  round: number;
  /** ISO instant of the upstream data the tick read (the session clock, not the wall clock of the computation). */
  at: string;
  state: LiveRaceState;
  /** null until a pit model is trained. */
  pits: LivePitOdds[] | null;
  pitModelVersion: string | null;
  finish: LiveFinishOdds[];
  /** 'pre-race' at lap 0 (the frozen forecast's own probabilities; an even field when none was frozen), 'live' after. */
  finishBasis: 'pre-race' | 'live';
  /** 'openf1' for a real session, 'replay' for `pitwall live --replay`. */
  source: 'openf1' | 'replay';
}
