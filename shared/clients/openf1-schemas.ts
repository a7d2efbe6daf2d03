import { z } from 'zod';

/** zod schemas of the OpenF1 v1 endpoints pitwall reads (unknown fields are dropped). */

const int = z.number().int();
const seconds = z.number().nonnegative().nullable().optional();

export const openf1Session = z.object({
  session_key: int,
  meeting_key: int,
  session_name: z.string(),
  session_type: z.string().optional(),
  date_start: z.string(),
  date_end: z.string().nullable().optional(),
  year: int,
  circuit_short_name: z.string().optional(),
  location: z.string().optional(),
  country_name: z.string().optional(),
});

export const openf1Stint = z.object({
  session_key: int,
  meeting_key: int.optional(),
  stint_number: int,
  driver_number: int,
  lap_start: int.nullable(),
  lap_end: int.nullable(),
  compound: z.string().nullable(),
  tyre_age_at_start: int.nullable(),
});

export const openf1Pit = z.object({
  session_key: int,
  meeting_key: int.optional(),
  driver_number: int,
  lap_number: int,
  date: z.string(),
  pit_duration: seconds,
  stop_duration: seconds,
  lane_duration: seconds,
});

export const openf1Lap = z.object({
  session_key: int,
  meeting_key: int.optional(),
  driver_number: int,
  lap_number: int,
  date_start: z.string().nullable(),
  lap_duration: seconds,
  is_pit_out_lap: z.boolean().nullable(),
  duration_sector_1: seconds,
  duration_sector_2: seconds,
  duration_sector_3: seconds,
});

export const openf1Weather = z.object({
  date: z.string(),
  session_key: int,
  meeting_key: int,
  air_temperature: z.number().nullable(),
  track_temperature: z.number().nullable(),
  humidity: z.number().nullable(),
  pressure: z.number().nullable(),
  rainfall: z.number().nullable(),
  wind_direction: z.number().nullable(),
  wind_speed: z.number().nullable(),
});

/**
 * /race_control, as OpenF1 documents it (openf1.org docs, "Race control"): no id; driver_number,
 * lap_number, flag, scope and sector are null where they do not apply (a track-wide message, a
 * message before the first lap). Newer responses add qualifying_phase, which is dropped.
 */
export const openf1RaceControl = z.object({
  date: z.string(),
  session_key: int,
  meeting_key: int,
  driver_number: int.nullable(),
  lap_number: int.nullable(),
  category: z.string(),
  flag: z.string().nullable(),
  scope: z.string().nullable(),
  sector: int.nullable(),
  message: z.string(),
});

/**
 * A gap as OpenF1 sends it in /intervals: seconds, null (the leader's gap, a car without
 * timing yet) or a text for a lapped car ("+1 LAP", "+2 LAPS").
 */
const gap = z.union([z.number().nonnegative(), z.string().regex(/^\+\d+ LAPS?$/i, 'must be seconds or "+N LAP"'), z.null()]).optional();

/** /position: a car's place in the running order from `date` on. */
export const openf1Position = z.object({
  date: z.string(),
  session_key: int,
  meeting_key: int.optional(),
  driver_number: int,
  position: int.positive(),
});

/** /intervals (race sessions only, about every 4 s per car). */
export const openf1Interval = z.object({
  date: z.string(),
  session_key: int,
  meeting_key: int.optional(),
  driver_number: int,
  gap_to_leader: gap,
  interval: gap,
});

export type OpenF1Position = z.output<typeof openf1Position>;
export type OpenF1Interval = z.output<typeof openf1Interval>;
export type OpenF1Gap = z.output<typeof gap>;
export type OpenF1Session = z.output<typeof openf1Session>;
export type OpenF1Stint = z.output<typeof openf1Stint>;
export type OpenF1Pit = z.output<typeof openf1Pit>;
export type OpenF1Lap = z.output<typeof openf1Lap>;
export type OpenF1Weather = z.output<typeof openf1Weather>;
export type OpenF1RaceControl = z.output<typeof openf1RaceControl>;
