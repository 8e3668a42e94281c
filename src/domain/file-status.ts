/**
 * Where a file is in its state machine, processing -> ready | failed (the CHECK on storage_meta.files.status
 * and the comment above it in migration 0003 are the authority).
 */
export type FileStatus = 'processing' | 'ready' | 'failed';
