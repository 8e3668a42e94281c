import { expect } from 'vitest';
import { IngestError } from '../../src/errors.js';
import type { TestEnvironment } from './services.js';

/** Every trace an organization's files can leave (login role, no RLS): rows per table and stored objects. */
export async function organizationTraces(
  env: TestEnvironment,
  organizationId: string,
): Promise<Record<string, number>> {
  const count = async (table: string) =>
    (
      await env.admin.query(`SELECT count(*)::int AS n FROM ${table} WHERE organization_id = $1`, [
        organizationId,
      ])
    ).rows[0].n as number;
  let objects = 0;
  for await (const _ of env.services.store.list(`orgs/${organizationId}/`)) objects++;
  return {
    files: await count('storage_meta.files'),
    chunks: await count('storage_meta.file_chunks'),
    metrics: await count('analytics.metrics'),
    rejected: await count('storage_meta.rejected_rows'),
    objects,
  };
}

export const NO_TRACES = { files: 0, chunks: 0, metrics: 0, rejected: 0, objects: 0 };

/** The IngestError a promise rejects with (and fails the test when it resolves or rejects otherwise). */
export async function ingestFailure(promise: Promise<unknown>): Promise<IngestError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IngestError);
  return err as IngestError;
}
