import type { EventEmitter } from 'node:events';
import { once } from 'node:events';

/**
 * Resolves with the name of whichever of `events` `emitter` emits first, then removes every listener it
 * added. `Promise.race` over plain `once()` calls would leave the losers' listeners behind, one set per
 * wait: a stream waited on once per full buffer would collect thousands over a large file.
 */
export async function firstEvent<E extends string>(emitter: EventEmitter, events: readonly E[]): Promise<E> {
  const done = new AbortController();
  try {
    return await Promise.race(
      events.map((name) =>
        once(emitter, name, { signal: done.signal }).then(
          () => name,
          // events.once() rejects when the emitter emits 'error' while it waits for another event: that is
          // the 'error' event itself when the caller waits for it too, and a failure otherwise.
          (err: unknown) => {
            if (events.includes('error' as E) && !done.signal.aborted) return 'error' as E;
            if (done.signal.aborted) return name;
            throw err;
          },
        ),
      ),
    );
  } finally {
    done.abort();
  }
}
