import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import type { IngestError } from '../src/errors.js';
import { AuthFailureThrottle, addressKey } from '../src/server/auth-failure-throttle.js';

/** The per-address token bucket on an injected clock (the server's use is in server.auth-flood.test.ts). */
describe('AuthFailureThrottle', () => {
  const refusal = (f: () => void): IngestError | undefined => {
    try {
      f();
      return undefined;
    } catch (err) {
      return err as IngestError;
    }
  };

  it('allows a burst of the limit, then one per 60/limit s, with Retry-After', () => {
    let now = 0;
    const throttle = new AuthFailureThrottle(6, 100, () => now);
    for (let i = 0; i < 6; i++) throttle.acquire('10.0.0.1');
    const refused = refusal(() => throttle.acquire('10.0.0.1'));
    expect(refused?.code).toBe('TOO_MANY_AUTH_FAILURES');
    expect(refused?.context).toMatchObject({ retryAfterSeconds: 10, limit: 6 });
    // Another address has its own budget.
    throttle.acquire('10.0.0.2');
    now = 9_999;
    expect(refusal(() => throttle.acquire('10.0.0.1'))?.code).toBe('TOO_MANY_AUTH_FAILURES');
    now = 10_000;
    throttle.acquire('10.0.0.1');
    expect(refusal(() => throttle.acquire('10.0.0.1'))?.code).toBe('TOO_MANY_AUTH_FAILURES');
  });

  it('gives the token back for a key that verified, and forgets a full bucket', () => {
    const throttle = new AuthFailureThrottle(2, 100, () => 0);
    for (let i = 0; i < 10; i++) {
      throttle.acquire('10.0.0.1');
      throttle.release('10.0.0.1');
    }
    expect(throttle.size).toBe(0);
    throttle.acquire('10.0.0.1');
    throttle.acquire('10.0.0.1');
    expect(refusal(() => throttle.acquire('10.0.0.1'))?.code).toBe('TOO_MANY_AUTH_FAILURES');
  });

  it('remembers at most its bound of addresses, the least recently failing forgotten first', () => {
    const throttle = new AuthFailureThrottle(1, 3, () => 0);
    for (const a of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']) throttle.acquire(a);
    expect(throttle.size).toBe(3);
    // The first was forgotten, as if it had not failed; the others are still refused.
    throttle.acquire('10.0.0.1');
    expect(refusal(() => throttle.acquire('10.0.0.4'))?.code).toBe('TOO_MANY_AUTH_FAILURES');
  });

  it('is off at 0', () => {
    const throttle = new AuthFailureThrottle(0);
    for (let i = 0; i < 1_000; i++) throttle.acquire('10.0.0.1');
    expect(throttle.size).toBe(0);
  });

  it('counts IPv4-mapped addresses as IPv4, and IPv6 per /64', () => {
    expect(addressKey('127.0.0.1')).toBe('127.0.0.1');
    expect(addressKey('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2::99')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002::')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});

describe('INGEST_AUTH_FAILURES_PER_MINUTE', () => {
  it('defaults to 30, takes an integer from 0, and names itself when invalid', () => {
    expect(loadConfig({}).authFailuresPerMinute).toBe(30);
    expect(loadConfig({ INGEST_AUTH_FAILURES_PER_MINUTE: '0' }).authFailuresPerMinute).toBe(0);
    expect(loadConfig({ INGEST_AUTH_FAILURES_PER_MINUTE: '120' }).authFailuresPerMinute).toBe(120);
    for (const bad of ['-1', '1.5', 'many', '1e3', '1000001']) {
      expect(() => loadConfig({ INGEST_AUTH_FAILURES_PER_MINUTE: bad })).toThrow(
        /INGEST_AUTH_FAILURES_PER_MINUTE must be an integer between 0 and 1000000/,
      );
    }
  });
});
