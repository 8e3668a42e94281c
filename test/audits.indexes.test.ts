import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditFilters, enterTenant, listAuditsQuery } from '../src/db/index.js';
import { createTestEnvironment, type TestEnvironment } from './support/services.js';

/**
 * Each index of migration 0060 serves the GET /v1/audits statement that filters on its column, over
 * 20,000 audits (ANALYZEd), with the planner's own choice. The listing (listAuditsQuery, as ingest_app
 * under row-level security) answers ?q=, ?from=&to= and labels through definer functions, because under
 * row-level security the planner uses no index for a non-leakproof operator (@@, &&, @>): the first test
 * shows that, the others EXPLAIN each function's own statement as it runs (its owner, a generic plan as
 * for any SQL function, the organization set) and check the listing calls it.
 */

let env: TestEnvironment;
let orgId: string;
beforeAll(async () => {
  env = await createTestEnvironment({ threads: 1 });
  orgId = (await env.organization('audit-indexes')).id;
  // One audit a day from 1970 on, each covering 10 days; one in 1,000 mentions "reconciliation";
  // labels cycle through 1,000 sites. created_at is spread too, as a real history would be.
  await env.admin.query(
    `INSERT INTO audit.audits (organization_id, name, description, category, period, labels, created_at)
     SELECT $1, 'audit ' || i,
       CASE WHEN i % 1000 = 0 THEN 'bank reconciliation' ELSE 'routine check number ' || i END,
       'c' || (i % 20), daterange(date '1970-01-01' + i, date '1970-01-01' + i + 10),
       jsonb_build_object('site', 'site-' || (i % 1000)), now() - make_interval(mins => i)
     FROM generate_series(1, 20000) i`,
    [orgId],
  );
  await env.admin.query('ANALYZE audit.audits');
});
afterAll(async () => {
  await env?.close();
});

/** The plan of a definer function's statement, as the function runs it with `arg`. */
async function functionPlan(fn: string, argType: string, arg: string): Promise<string> {
  const client = await env.admin.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('ingest.organization_id', $1, true)`, [orgId]);
    await client.query(`SET LOCAL plan_cache_mode = force_generic_plan`);
    const { rows: src } = await client.query<{ body: string }>(
      `SELECT prosrc AS body FROM pg_proc WHERE oid = $1::regprocedure`,
      [`audit.${fn}(${argType})`],
    );
    // The body names its parameter; as a prepared statement it is $1.
    const statement = src[0]!.body
      .replace(`websearch_to_tsquery('simple', query)`, `websearch_to_tsquery('simple', $1)`)
      .replace(`${fn}.period`, '$1')
      .replace(`${fn}.labels`, '$1');
    await client.query(`PREPARE s(${argType}) AS ${statement}`);
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN EXECUTE s(${client.escapeLiteral(arg)})`,
    );
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await client.query('ROLLBACK');
    await client.query('DEALLOCATE ALL');
    client.release();
  }
}

async function plan(filters: Omit<AuditFilters, 'limit'>): Promise<string> {
  const { text, values } = listAuditsQuery({ ...filters, limit: 50 });
  const client = await env.services.pool.connect();
  try {
    await client.query('BEGIN');
    await enterTenant(client, orgId);
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, values);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

describe('the indexes of audit.audits, each used by the listing that filters on its column', () => {
  it('under row-level security, a non-leakproof filter uses no index: hence the definer functions', async () => {
    const { text, values } = listAuditsQuery({ limit: 50 });
    const client = await env.services.pool.connect();
    try {
      await client.query('BEGIN');
      await enterTenant(client, orgId);
      const direct = text.replace(
        'FROM audit.audits a',
        `FROM audit.audits a WHERE a.labels @> '{"site": "site-7"}'`,
      );
      const { rows } = await client.query(`EXPLAIN ${direct}`, values);
      expect(rows.map((r) => r['QUERY PLAN']).join('\n')).not.toMatch(/audits_labels_idx/);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('?q= full-text search over name and description: audits_search_idx (GIN on the tsvector)', async () => {
    expect(await plan({ q: 'reconciliation' })).toMatch(/Index Cond: .*id = \(audit\.audits_matching_text\(/);
    expect(await functionPlan('audits_matching_text', 'text', 'reconciliation')).toMatch(
      /Bitmap Index Scan on audits_search_idx/,
    );
  });

  it('?from=&to= periods overlapping a range: audits_period_idx (GiST, &&)', async () => {
    expect(await plan({ from: '1990-01-01', to: '1990-01-15' })).toMatch(
      /Index Cond: .*id = \(audit\.audits_overlapping\(/,
    );
    expect(await functionPlan('audits_overlapping', 'daterange', '[1990-01-01,1990-01-15]')).toMatch(
      /Index Scan on audits_period_idx|Index Scan using audits_period_idx/,
    );
  });

  it('?label=site:site-7 labels containing a pair: audits_labels_idx (GIN, jsonb_path_ops, @>)', async () => {
    expect(await plan({ labels: { site: 'site-7' } })).toMatch(
      /Index Cond: .*id = \(audit\.audits_labelled\(/,
    );
    expect(await functionPlan('audits_labelled', 'jsonb', '{"site": "site-7"}')).toMatch(
      /Bitmap Index Scan on audits_labels_idx/,
    );
  });

  it('no filter, newest first with a cursor: audits_org_created_idx, no sort', async () => {
    const p = await plan({});
    expect(p).toMatch(/Index Scan using audits_org_created_idx/);
    expect(p).not.toMatch(/Sort/);
  });
});
