import type { Queryable } from './pool.js';

/** White-labeling of an organization (tenant.branding); null fields are inherited from the agency. */
export interface Branding {
  displayName: string | null;
  logoUrl: string | null;
  primaryColor: string | null;
  supportEmail: string | null;
}

interface BrandingRow {
  display_name: string | null;
  logo_url: string | null;
  primary_color: string | null;
  support_email: string | null;
}

const NONE: Branding = { displayName: null, logoUrl: null, primaryColor: null, supportEmail: null };

function toBranding(r: BrandingRow | undefined): Branding {
  return r
    ? {
        displayName: r.display_name,
        logoUrl: r.logo_url,
        primaryColor: r.primary_color,
        supportEmail: r.support_email,
      }
    : { ...NONE };
}

/** The organization's own branding (all null when it set none). */
export async function getOwnBranding(db: Queryable, organizationId: string): Promise<Branding> {
  const { rows } = await db.query<BrandingRow>(
    'SELECT display_name, logo_url, primary_color, support_email FROM tenant.branding WHERE organization_id = $1',
    [organizationId],
  );
  return toBranding(rows[0]);
}

/** The current organization's agency's branding (tenant.inherited_branding), all null without one. */
export async function getInheritedBranding(db: Queryable): Promise<Branding> {
  const { rows } = await db.query<BrandingRow>('SELECT * FROM tenant.inherited_branding()');
  return toBranding(rows[0]);
}

/** Replaces the organization's own branding (owners: row-level security refuses anyone else). */
export async function putBranding(db: Queryable, organizationId: string, branding: Branding): Promise<void> {
  await db.query(
    `INSERT INTO tenant.branding AS b (organization_id, display_name, logo_url, primary_color, support_email, updated_at)
     VALUES ($1, $2, $3, $4, $5, now())
     ON CONFLICT (organization_id) DO UPDATE SET display_name = excluded.display_name, logo_url = excluded.logo_url,
       primary_color = excluded.primary_color, support_email = excluded.support_email, updated_at = now()`,
    [organizationId, branding.displayName, branding.logoUrl, branding.primaryColor, branding.supportEmail],
  );
}
