import { describe, expect, it } from 'vitest';
import { createAdmission } from '../src/server/admission.js';

describe('admission (the gate between receiving and processing uploads)', () => {
  it('admits up to its slots, then first come first served as slots are released', async () => {
    const gate = createAdmission(2);
    const first = await gate.acquire();
    const second = await gate.acquire();
    const order: number[] = [];
    const admitted = (n: number) => (release: () => void) => {
      order.push(n);
      return release;
    };
    const third = gate.acquire().then(admitted(3));
    const fourth = gate.acquire().then(admitted(4));
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([]);
    first();
    first(); // a second call of the same release does not free another slot
    (await third)();
    second();
    (await fourth)();
    expect(order).toEqual([3, 4]);
  });

  it('drops a waiter whose signal aborts, rejecting with the reason', async () => {
    const gate = createAdmission(1);
    const held = await gate.acquire();
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    controller.abort(new Error('client went away'));
    await expect(waiting).rejects.toThrow('client went away');
    held();
    // The aborted waiter did not take the slot.
    const next = await gate.acquire();
    next();
  });
});
