/** How bad rows are handled: fail the file (strict) or record them and go on (skip). */
export type OnErrorPolicy = 'strict' | 'skip';
