import type { Repository } from '../repository/index.js';
import type { StoredLiveTick } from '../repository/live-ticks-store.js';
import type { LiveBus } from './live-bus.js';
import type { LiveTick } from './types.js';

/**
 * Stores a tick, then tells every instance about it. Stored first: a subscriber woken by the
 * event reads the tick from the store, so it must be committed before anyone hears of it.
 * A tick stored before (the same race and data instant) is announced again, harmlessly:
 * subscribers send only ticks after the last one they sent.
 */
export async function storeAndPublish(deps: { repo: Repository; bus: LiveBus }, tick: LiveTick): Promise<StoredLiveTick> {
  const stored = await deps.repo.liveTicks.append(tick);
  await deps.bus.publish({ raceId: stored.raceId, tickId: stored.id });
  return stored;
}
