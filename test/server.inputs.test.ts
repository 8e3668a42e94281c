import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../src/errors.js';
import { INPUT_CASES } from './support/input-cases.js';
import { json, NO_TRACES, startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

const upload = (key: string, filename: string, bytes: Buffer, query = '') =>
  t.request(`/v1/files?filename=${encodeURIComponent(filename)}${query}`, key, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: bytes,
  });

async function normalizedRecords(key: string, fileId: string): Promise<string[][]> {
  const res = await t.request(`/v1/files/${fileId}/content?normalize=true`, key);
  expect(res.status).toBe(200);
  return parse(await res.text(), { relax_column_count: true }) as string[][];
}

describe('inputs users upload, through POST /v1/files', () => {
  it.each(INPUT_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { key, organization } = await t.key(`http-${INPUT_CASES.indexOf(c)}`);
    const res = await upload(key, c.filename, c.bytes);
    const body = await json(res);
    if (c.expect.kind === 'ingested') {
      expect(res.status, JSON.stringify(body)).toBe(201);
      expect(body).toMatchObject({ rows: c.expect.records.length, columns: c.expect.header.length });
      if (c.expect.encoding) expect(body.encoding).toBe(c.expect.encoding);
      const [header, ...records] = await normalizedRecords(key, body.fileId);
      expect(header).toEqual(c.expect.header);
      expect(records).toEqual(c.expect.records);
      return;
    }
    const code = c.expect.code as ErrorCode;
    expect(res.status).toBe(ERROR_CODES[code].status);
    expect(body.error).toMatchObject({ code, ...(c.expect.line !== undefined && { line: c.expect.line }) });
    expect(await t.traces(organization.id)).toEqual(NO_TRACES);

    const skip = c.expect.skip;
    if (!skip) return;
    const skipped = await upload(key, c.filename, c.bytes, '&on_error=skip');
    const kept = await json(skipped);
    expect(skipped.status).toBe(201);
    expect(kept).toMatchObject({ rows: skip.records.length, rejectedRows: skip.rejected.length });
    const [, ...records] = await normalizedRecords(key, kept.fileId);
    expect(records).toEqual(skip.records);
  });
});
