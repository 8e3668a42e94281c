/**
 * The organizations a benchmark run ingests into. Dedup is per (organization, sha256), so every timed
 * run of the same fixture gets a fresh organization; afterwards the run removes them with everything
 * they hold (files, chunks, metrics by cascade; activity rows; original objects), so repeated runs on
 * a shared server do not pile up gigabytes.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { ensureOrganization } from '../src/db/index.js';
import type { Services } from '../src/ingest/index.js';
import { originalObjectKey } from '../src/storage/index.js';

export interface BenchOrganization {
  id: string;
  slug: string;
}

export class BenchOrganizations {
  /** Unique per process, so two benchmark runs on one server never share an organization. */
  readonly prefix = `bench-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  private readonly created: BenchOrganization[] = [];
  private count = 0;

  constructor(
    private readonly services: Services,
    /** The login role: organizations are created and deleted by operators, not under a tenant. */
    private readonly admin: pg.Pool,
  ) {}

  async create(purpose: string): Promise<BenchOrganization> {
    const slug = `${this.prefix}-${purpose}-${++this.count}`;
    const { organization } = await ensureOrganization(this.services.pool, slug);
    const org = { id: organization.id, slug: organization.slug };
    this.created.push(org);
    return org;
  }

  async removeAll(): Promise<void> {
    const ids = this.created.map((o) => o.id);
    if (ids.length === 0) return;
    await this.admin.query('DELETE FROM logs.activity_log WHERE organization_id = ANY($1::uuid[])', [ids]);
    await this.admin.query('DELETE FROM tenant.organizations WHERE id = ANY($1::uuid[])', [ids]);
    // Listed rather than remembered: a run that failed half-way may have stored an original anyway.
    for (const id of ids) {
      for await (const key of this.services.store.list(originalObjectKey(id, '')))
        await this.services.store.delete(key);
    }
    this.created.length = 0;
  }
}
