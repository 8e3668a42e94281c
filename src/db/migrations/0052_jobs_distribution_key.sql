-- storage_meta.jobs (migration 0040) was keyed by id alone; a table distributed by organization_id needs
-- it in every unique key (ARCHITECTURE.md, "Distribution plan"; test/tenancy.distribution-keys.test.ts).
-- Its UNIQUE (organization_id, id) becomes the primary key. Job ids are random UUIDs chosen by the
-- server, so id alone stays unique in practice; operators' look-ups by id alone (ingest jobs show) keep an
-- index. No foreign key refers to storage_meta.jobs.
ALTER TABLE storage_meta.jobs DROP CONSTRAINT jobs_pkey;
ALTER TABLE storage_meta.jobs DROP CONSTRAINT jobs_organization_id_id_key;
ALTER TABLE storage_meta.jobs ADD PRIMARY KEY (organization_id, id);
CREATE INDEX jobs_id_idx ON storage_meta.jobs (id);
