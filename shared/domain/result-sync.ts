/**
 * When a race's official classification is fetched: the result sync runs this many hours
 * after the race start (the per-race Scheduler job, the season replay), and a classification
 * that is not published yet is asked for again after RESULTS_RETRY_AFTER_SECONDS (the
 * Retry-After of its 503; Cloud Scheduler retries anyway).
 */
export const SYNC_AFTER_RACE_HOURS = 4;
export const RESULTS_RETRY_AFTER_SECONDS = 15 * 60;

/**
 * A classification can still change after the race (a penalty, a disqualification): the daily
 * re-check syncs again every race that started within this many days, plus the latest finished one.
 */
export const RESULT_RECHECK_DAYS = 7;
/** A race counts as finished (its result may be synced) this many hours after its start. */
export const RACE_FINISHED_AFTER_HOURS = 2;
