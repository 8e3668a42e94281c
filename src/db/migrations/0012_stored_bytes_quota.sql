-- The storage quota counts what a file stores, not only the bytes its uploader sent: a small upload can
-- write many times its size (a wide header makes metric rows per column; a gzip body inflates into large
-- chunks). charged_bytes is what a ready file counts against its organization's quota:
--   size_bytes (the original in the object store)
--   + stored_bytes (the gzip payloads of its chunk rows, exact)
--   + an estimate of its analytics.metrics and storage_meta.rejected_rows rows (heap tuple, index entries
--     and text; computed when they are written, see src/ingest/stored-bytes.ts).
-- NULL while a file is processing: until its stored bytes are known, it holds its original's size.
ALTER TABLE storage_meta.files ADD COLUMN charged_bytes bigint CHECK (charged_bytes >= 0);

-- Files ingested before this migration: the same measure, from the rows they already have.
UPDATE storage_meta.files f
SET charged_bytes = f.size_bytes + coalesce(f.stored_bytes, 0)
  + coalesce((SELECT sum(170 + octet_length(coalesce(m.column_name, '')) + 2 * octet_length(m.metric_type)
                         + octet_length(coalesce(m.text_value, '')))
              FROM analytics.metrics m WHERE m.organization_id = f.organization_id AND m.file_id = f.id), 0)
  + coalesce((SELECT sum(120 + octet_length(r.code) + octet_length(r.reason) + octet_length(r.raw))
              FROM storage_meta.rejected_rows r WHERE r.organization_id = f.organization_id AND r.file_id = f.id), 0)
WHERE f.status = 'ready';

-- Bytes an organization uses against its quota: what each ready file stores (charged_bytes), and the
-- original's size of each file still processing (it holds that much until its stored bytes are known).
-- Runs with the caller's rights, so under ingest_app it sees only the current organization's files.
CREATE OR REPLACE FUNCTION tenant.calculate_storage_usage(org_id uuid) RETURNS bigint
LANGUAGE sql STABLE
AS $$
  SELECT coalesce(sum(coalesce(charged_bytes, size_bytes)), 0)::bigint
  FROM storage_meta.files
  WHERE organization_id = org_id AND status IN ('ready', 'processing')
$$;

-- The ingest that finishes a file sets its charge (the policies of storage_meta.files keep it to the
-- organization's own rows). Column-level, so it holds whatever the table-level grants become.
GRANT UPDATE (charged_bytes) ON storage_meta.files TO ingest_app;
