import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { firstEvent } from '../src/wait-for-event.js';

describe('firstEvent', () => {
  it('resolves with the first event and leaves no listener behind, however many waits', async () => {
    const emitter = new EventEmitter();
    for (let i = 0; i < 50; i++) {
      const waiting = firstEvent(emitter, ['drain', 'close', 'error']);
      emitter.emit('drain');
      expect(await waiting).toBe('drain');
    }
    for (const name of ['drain', 'close', 'error']) expect(emitter.listenerCount(name)).toBe(0);
  });

  it("resolves with 'error' when the caller waits for it", async () => {
    const emitter = new EventEmitter();
    const waiting = firstEvent(emitter, ['drain', 'error']);
    emitter.emit('error', new Error('boom'));
    expect(await waiting).toBe('error');
    expect(emitter.listenerCount('error')).toBe(0);
  });

  it('rejects with the error when the caller does not wait for it', async () => {
    const emitter = new EventEmitter();
    const waiting = firstEvent(emitter, ['drain', 'close']);
    emitter.emit('error', new Error('boom'));
    await expect(waiting).rejects.toThrow('boom');
    expect(emitter.listenerCount('drain')).toBe(0);
  });
});
