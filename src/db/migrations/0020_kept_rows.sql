-- The lenient bad-row policy keeps rows it had to repair (a short row padded, extra fields joined into
-- the last column, a stray quote read as a character). Each is recorded where rejected rows are, with
-- its line and reason, so that no repair is silent; `kept` tells the two apart. Existing rows were all
-- rejected. The application role inserts rejected rows, so it may set the new column too (migration 0010
-- grants per column).
ALTER TABLE storage_meta.rejected_rows ADD COLUMN kept boolean NOT NULL DEFAULT false;
GRANT INSERT (kept) ON storage_meta.rejected_rows TO ingest_app;
