/**
 * The generated fixture's columns and the PostgreSQL type each one holds. The generator writes them
 * in this order, and the COPY / INSERT baselines create their typed tables from the same list, so the
 * baselines do the type conversions a real typed load would.
 */
export const FIXTURE_COLUMNS = [
  { name: 'id', sqlType: 'bigint' },
  { name: 'customer_name', sqlType: 'text' },
  { name: 'email', sqlType: 'text' },
  { name: 'country', sqlType: 'text' },
  { name: 'plan', sqlType: 'text' },
  { name: 'amount', sqlType: 'numeric(12,2)' },
  { name: 'score', sqlType: 'double precision' },
  { name: 'is_active', sqlType: 'boolean' },
  { name: 'signup_date', sqlType: 'date' },
  { name: 'last_seen_at', sqlType: 'timestamptz' },
  { name: 'address', sqlType: 'text' },
  { name: 'comment', sqlType: 'text' },
] as const;

export const FIXTURE_HEADER = FIXTURE_COLUMNS.map((c) => c.name).join(',');
