import { CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { createS3TestEnvironment, type S3TestEnvironment } from './support/s3-services.js';

/**
 * A store without ListMultipartUploads and AbortMultipartUpload (plain s3rver answers 501 NotImplemented
 * and 405 MethodNotAllowed, as some S3-compatible stores do): sweeping unfinished uploads is optional
 * work, so org delete still deletes every object and says the sweep was skipped, and start-up does not
 * warn about it.
 */
let t: S3TestEnvironment;
beforeAll(async () => {
  t = await createS3TestEnvironment({ plain: true });
});
afterAll(async () => {
  await t?.close();
});

async function orgId(slug: string): Promise<string> {
  return (await t.db.pool.query('SELECT id FROM tenant.organizations WHERE slug = $1', [slug])).rows[0].id;
}

async function ingest(slug: string, ...files: string[]): Promise<string> {
  const run = await runCli([...files, '--org', slug, '--on-error', 'skip', '--json'], t.env);
  // Start-up found no unfinished uploads to look for, and says nothing about it at the default level.
  expect(run.stderr).not.toMatch(/multipart|"level":[4-6]0/);
  expect(run.code).toBe(0);
  return orgId(slug);
}

describe('ingest org delete on a store without ListMultipartUploads', () => {
  it('deletes every object, reports the skipped upload sweep (--json and text), and leaves others', async () => {
    const doomed = await ingest('doomed', 'fixtures/sample.csv', 'fixtures/field-count-mismatch.csv');
    const survivor = await ingest('survivor', 'fixtures/sample.csv');
    const archived = await runCli(['archive', '--org', 'doomed', '--older-than', '0s'], t.env);
    expect(archived.stderr).toBe('');
    expect(archived.code).toBe(0);
    await t.s3.client.send(
      new CreateMultipartUploadCommand({ Bucket: t.s3.bucket, Key: `orgs/${doomed}/tmp/upload` }),
    );
    expect(await t.s3.keys(`orgs/${doomed}/`)).toHaveLength(4); // two originals, two archives

    const run = await runCli(['org', 'delete', 'doomed', '--yes', '--json'], t.env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      organization: 'doomed',
      organizationId: doomed,
      objects: 4,
      uploadsAborted: 0,
      uploadsSwept: false,
    });
    expect(await t.s3.keys(`orgs/${doomed}/`)).toEqual([]);
    // The store could not be asked for it: the upload is still there, as the output says.
    expect(await t.s3.unfinishedUploads()).toEqual([`orgs/${doomed}/tmp/upload`]);
    expect(await t.s3.keys(`orgs/${survivor}/`)).toHaveLength(1);

    await ingest('doomed-too', 'fixtures/sample.csv');
    const text = await runCli(['org', 'delete', 'doomed-too', '--yes'], t.env);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('objects: 1\n');
    expect(text.stdout).toContain(
      'unfinished uploads: not looked for, the object store does not implement ListMultipartUploads',
    );
    expect(await t.s3.keys('orgs/')).toEqual(await t.s3.keys(`orgs/${survivor}/`));
  }, 120_000);
});
