import type pg from 'pg';
import {
  type Branding,
  getInheritedBranding,
  getOwnBranding,
  logActivity,
  putBranding,
  withTenant,
} from '../db/index.js';
import { type PeopleAccess, peopleActivity } from './access.js';

const FIELDS = ['displayName', 'logoUrl', 'primaryColor', 'supportEmail'] as const;

/** An organization's branding as shown: each field its own, else its agency's (null when neither set it). */
export interface EffectiveBranding extends Branding {
  /** The fields the organization set itself. */
  own: Branding;
  /** The fields taken from the agency. */
  inherited: Array<keyof Branding>;
}

export async function readBranding(pool: pg.Pool, organizationId: string): Promise<EffectiveBranding> {
  return withTenant(pool, organizationId, async (db) =>
    effective(await getOwnBranding(db, organizationId), await getInheritedBranding(db)),
  );
}

function effective(own: Branding, agency: Branding): EffectiveBranding {
  const inherited = FIELDS.filter((f) => own[f] === null && agency[f] !== null);
  const merged = Object.fromEntries(FIELDS.map((f) => [f, own[f] ?? agency[f]])) as unknown as Branding;
  return { ...merged, own, inherited };
}

/**
 * Replaces the organization's own branding (null fields: inherit the agency's); owners only, which the
 * route checks and row-level security checks again. Logged with the previous and new values.
 */
export async function writeBranding(
  pool: pg.Pool,
  access: Extract<PeopleAccess, { kind: 'member' }>,
  organizationId: string,
  branding: Branding,
): Promise<EffectiveBranding> {
  return withTenant(pool, organizationId, async (db) => {
    const before = await getOwnBranding(db, organizationId);
    await putBranding(db, organizationId, branding);
    await logActivity(
      db,
      peopleActivity(access, organizationId, {
        action: 'branding.update',
        targetType: 'organization',
        targetId: organizationId,
        details: { before, after: branding },
      }),
    );
    return effective(branding, await getInheritedBranding(db));
  });
}
