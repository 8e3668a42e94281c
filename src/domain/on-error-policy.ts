/**
 * How bad rows are handled: fail the file (strict), record them and go on (skip), or keep every row a
 * person would read as one (lenient: short rows padded with empty fields, extra fields kept in the last
 * column, quotes read forgivingly), recording each repaired or rejected row with its line and reason.
 */
export const ON_ERROR_POLICIES = ['strict', 'skip', 'lenient'] as const;

export type OnErrorPolicy = (typeof ON_ERROR_POLICIES)[number];
