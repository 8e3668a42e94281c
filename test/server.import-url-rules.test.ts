import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { authorizeImport, openS3Source, parseImportUrl } from '../src/ingest/index.js';
import { startS3Server, type TestS3Server } from './support/s3-server.js';
import { ingestFailure } from './support/traces.js';

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server('ingest-store');
  await s3.client.send(new CreateBucketCommand({ Bucket: 'incoming' }));
  await s3.client.send(
    new PutObjectCommand({ Bucket: 'incoming', Key: 'acme/Données 2026/é (1).csv', Body: 'a\n1\n' }),
  );
});
afterAll(async () => {
  await s3?.close();
});

describe('import URLs', () => {
  it('accepts plain keys in any script, with spaces and the characters S3 calls safe', () => {
    expect(parseImportUrl('s3://incoming/acme/Données 2026/é (1).csv')).toEqual({
      bucket: 'incoming',
      key: 'acme/Données 2026/é (1).csv',
    });
    expect(parseImportUrl("s3://in.coming-2/acme/a_b-c.d!*'()+,=@~.csv").bucket).toBe('in.coming-2');
    expect(parseImportUrl('s3://incoming/acme/...csv').key).toBe('acme/...csv');
  });

  it('refuses keys longer than S3 allows and names the option', async () => {
    const err = await ingestFailure((async () => parseImportUrl(`s3://incoming/acme/${'a'.repeat(1020)}`))());
    expect(err.code).toBe('INVALID_IMPORT_URL');
    expect(err.context.option).toBe('url');
  });

  it('never authorizes the store bucket, even when the operator lists it', async () => {
    const err = await ingestFailure(
      (async () =>
        authorizeImport(
          { bucket: 'ingest-store', key: 'acme/a.csv' },
          { buckets: ['ingest-store'], storeBucket: 'Ingest-Store.' },
          'acme',
        ))(),
    );
    expect(err.code).toBe('FORBIDDEN');
  });

  it('refuses, at start, import buckets that are not bucket names or are the store bucket', () => {
    for (const buckets of ['Incoming', 'incoming.', 'in%63oming', 'in/coming', 'ingest-store']) {
      expect(() =>
        loadConfig({ INGEST_S3_IMPORT_BUCKETS: `ok-bucket,${buckets}`, INGEST_S3_BUCKET: 'ingest-store' }),
      ).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION', context: { option: 'INGEST_S3_IMPORT_BUCKETS' } }),
      );
    }
    expect(loadConfig({ INGEST_S3_IMPORT_BUCKETS: ' a-b.c , incoming ' }).importBuckets).toEqual([
      'a-b.c',
      'incoming',
    ]);
  });

  it('sends the request it checked, and nothing when the SDK would send another path', async () => {
    const config = {
      s3: { bucket: 'ingest-store', endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true },
    };
    const source = await openS3Source(parseImportUrl('s3://incoming/acme/Données 2026/é (1).csv'), config, {
      pinTarget: true,
    });
    expect(source).toMatchObject({ kind: 'stream', filename: 'é (1).csv', declaredBytes: 4 });
    if (source.kind === 'stream') source.stream.destroy();

    // A location that skipped parseImportUrl: the pin refuses it before a byte goes out.
    const seen: string[] = [];
    s3.onRequest = (r) => {
      seen.push(r.path);
      return false;
    };
    try {
      for (const key of ['../ingest-store/acme/a.csv', 'acme/./a.csv', 'acme//a.csv']) {
        const err = await ingestFailure(
          openS3Source({ bucket: 'incoming', key }, config, { pinTarget: true }),
        );
        expect(err.code, key).toBe('INVALID_IMPORT_URL');
      }
    } finally {
      s3.onRequest = undefined;
    }
    expect(seen).toEqual([]);
  });
});
