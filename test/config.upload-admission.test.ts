import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

const refused = (option: string) => expect.objectContaining({ code: 'INVALID_OPTION', context: { option } });

describe('upload admission and recovery settings', () => {
  it('default from src/limits.ts, the spool budget to twice the largest upload', () => {
    const config = loadConfig({ INGEST_MAX_UPLOAD_BYTES: '1GB' });
    expect(config.uploadAdmission).toEqual({
      maxUploadsPerOrg: 16,
      maxUploadsPerKey: 8,
      spoolBytesPerOrg: 2 * 1024 ** 3,
      bodyIdleTimeoutMs: 30_000,
      minUploadBytesPerSecond: 1024,
    });
    expect(config.recoveryIntervalMs).toBe(60_000);
  });

  it('read each INGEST_* variable, and refuse a bad value naming it', () => {
    const config = loadConfig({
      INGEST_MAX_UPLOADS_PER_ORG: '4',
      INGEST_MAX_UPLOADS_PER_KEY: '2',
      INGEST_SPOOL_BYTES_PER_ORG: '512MB',
      INGEST_BODY_IDLE_TIMEOUT: '500ms',
      INGEST_MIN_UPLOAD_RATE: '4KB/s',
      INGEST_RECOVERY_INTERVAL: '10',
    });
    expect(config.uploadAdmission).toEqual({
      maxUploadsPerOrg: 4,
      maxUploadsPerKey: 2,
      spoolBytesPerOrg: 512 * 1024 ** 2,
      bodyIdleTimeoutMs: 500,
      minUploadBytesPerSecond: 4096,
    });
    expect(config.recoveryIntervalMs).toBe(10_000);
    expect(loadConfig({ INGEST_MIN_UPLOAD_RATE: '0' }).uploadAdmission.minUploadBytesPerSecond).toBe(0);
    expect(() => loadConfig({ INGEST_MAX_UPLOADS_PER_ORG: '0' })).toThrow(
      refused('INGEST_MAX_UPLOADS_PER_ORG'),
    );
    expect(() => loadConfig({ INGEST_MAX_UPLOADS_PER_KEY: '2.5' })).toThrow(
      refused('INGEST_MAX_UPLOADS_PER_KEY'),
    );
    expect(() => loadConfig({ INGEST_SPOOL_BYTES_PER_ORG: 'lots' })).toThrow(
      refused('INGEST_SPOOL_BYTES_PER_ORG'),
    );
    expect(() => loadConfig({ INGEST_BODY_IDLE_TIMEOUT: 'soon' })).toThrow(
      refused('INGEST_BODY_IDLE_TIMEOUT'),
    );
    expect(() => loadConfig({ INGEST_BODY_IDLE_TIMEOUT: '1ms' })).toThrow(
      refused('INGEST_BODY_IDLE_TIMEOUT'),
    );
    expect(() => loadConfig({ INGEST_MIN_UPLOAD_RATE: 'fast' })).toThrow(refused('INGEST_MIN_UPLOAD_RATE'));
    expect(() => loadConfig({ INGEST_RECOVERY_INTERVAL: '0' })).toThrow(refused('INGEST_RECOVERY_INTERVAL'));
  });
});
