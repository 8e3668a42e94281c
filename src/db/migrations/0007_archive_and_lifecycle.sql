-- Archival: a ready file's chunk payloads can move out of PostgreSQL into one object of the object
-- store (key orgs/<organization_id>/archive/<file_id>, format in src/ingest/archive-format.ts). The
-- row keeps every piece of metadata and points at the archive; readers fetch the chunks from there.
--   archived_at     when the chunk rows were replaced by the archive object (NULL: chunks in PostgreSQL)
--   archive_key     the object's key
--   archive_sha256  SHA-256 of the object's bytes, verified after writing and again on restore
--   archive_bytes   the object's size
-- A file is archived exactly when all four are set. Existing grants and the tenant_isolation policy of
-- storage_meta.files cover the new columns.
ALTER TABLE storage_meta.files
  ADD COLUMN archived_at timestamptz,
  ADD COLUMN archive_key text,
  ADD COLUMN archive_sha256 text CHECK (archive_sha256 ~ '^[0-9a-f]{64}$'),
  ADD COLUMN archive_bytes bigint CHECK (archive_bytes >= 0),
  ADD CONSTRAINT files_archive_complete CHECK (
    (archived_at IS NULL AND archive_key IS NULL AND archive_sha256 IS NULL AND archive_bytes IS NULL)
    OR (archived_at IS NOT NULL AND archive_key IS NOT NULL AND archive_sha256 IS NOT NULL
        AND archive_bytes IS NOT NULL AND status = 'ready')
  );

-- `ingest archive --older-than` looks for an organization's ready, unarchived files finished before a time.
CREATE INDEX files_archivable_idx ON storage_meta.files (organization_id, finished_at)
  WHERE status = 'ready' AND archived_at IS NULL;
