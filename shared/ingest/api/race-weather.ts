import type { OpenMeteoClient } from '../../clients/open-meteo.js';
import type { Clock } from '../../clock.js';
import { sessionStartsAt, type Race } from '../../domain/reference.js';
import { FORECAST_HORIZON_DAYS, hoursAroundStart, raceWindowSummary, type WeatherRefreshOutcome } from '../../domain/weather.js';
import { UpstreamError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import type { Repository } from '../../repository/index.js';

/**
 * The race-day forecast of a race's circuit from Open-Meteo, stored as one more fetch (the
 * scheduler refreshes it every 6 hours before the freeze, and the freeze tries once more).
 * A race beyond the forecast's reach, one already started, or a circuit with no coordinates
 * is an outcome that says so, not an error.
 */

export interface RaceWeatherDeps {
  repo: Repository;
  openMeteo: OpenMeteoClient;
  clock: Clock;
  logger?: Logger;
}

const DAY = 86_400_000;
const dateOf = (d: Date) => d.toISOString().slice(0, 10);

export async function refreshRaceWeather(deps: RaceWeatherDeps, race: Race, options: { deadlineAt?: number } = {}): Promise<WeatherRefreshOutcome> {
  const now = deps.clock.now();
  const startsAt = sessionStartsAt(race.sessions.race);
  const label = `${race.season} R${race.round} ${race.name}`;
  if (startsAt <= now) return { status: 'unavailable', reason: `${label} started at ${startsAt.toISOString()}: a forecast fetched now would not be a forecast` };
  const { from, to } = hoursAroundStart(race);
  // The forecast covers today and the next FORECAST_HORIZON_DAYS - 1 days (UTC): the race's last hour must fall in them.
  const lastDay = Date.parse(dateOf(new Date(to.getTime() - 1)));
  const availableFrom = new Date(lastDay - (FORECAST_HORIZON_DAYS - 1) * DAY);
  if (now < availableFrom) {
    return {
      status: 'not_in_range',
      reason: `${label} starts ${startsAt.toISOString()}, beyond the ${FORECAST_HORIZON_DAYS} days Open-Meteo forecasts: not in the forecast range yet (from ${dateOf(availableFrom)})`,
      availableFrom,
    };
  }
  const circuit = (await deps.repo.reference.circuits()).find((c) => c.id === race.circuitId);
  if (!circuit || circuit.lat === null || circuit.lng === null) {
    return { status: 'unavailable', reason: `the circuit of ${label} has no coordinates on record` };
  }
  let answer;
  try {
    answer = await deps.openMeteo.forecast({ latitude: circuit.lat, longitude: circuit.lng, startDate: dateOf(from), endDate: dateOf(new Date(lastDay)) }, options);
  } catch (err) {
    // Open-Meteo refuses dates outside its range with 400 {"error": true, "reason": "... out of allowed range ..."}.
    if (err instanceof UpstreamError && err.status === 400 && /out of allowed range/i.test(err.message)) {
      return { status: 'not_in_range', reason: `${label}: Open-Meteo says the race dates are not in its forecast range (${err.message})`, availableFrom };
    }
    throw err;
  }
  const hours = answer.hours.filter((h) => {
    const t = Date.parse(h.time);
    return t >= from.getTime() && t < to.getTime();
  });
  if (hours.length === 0) return { status: 'unavailable', reason: `Open-Meteo answered no hours around the start of ${label}` };
  const forecast = await deps.repo.weather.saveForecast({
    raceId: race.id, source: 'open-meteo', fetchedAt: now, latitude: answer.latitude, longitude: answer.longitude,
    hours, summary: raceWindowSummary(hours, startsAt),
  });
  deps.logger?.info('race weather forecast stored', { race: label, fetchedAt: now.toISOString(), hours: hours.length });
  return { status: 'stored', forecast };
}
