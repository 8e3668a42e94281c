/** How bad rows are handled: fail the file (strict) or record them and go on (skip). */
export const ON_ERROR_POLICIES = ['strict', 'skip'] as const;

export type OnErrorPolicy = (typeof ON_ERROR_POLICIES)[number];
