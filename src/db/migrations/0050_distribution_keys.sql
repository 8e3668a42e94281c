-- Every unique key of a table distributed by organization_id includes organization_id: Citus checks
-- uniqueness within one shard, so it refuses to distribute a table whose primary key or unique
-- constraint leaves the distribution column out (ARCHITECTURE.md, "Distribution plan").
-- test/tenancy.distribution-keys.test.ts walks the catalog for it.
--
-- storage_meta.files had a unique index on id alone, for lookups by file id before the organization is
-- known (the operator's CLI, findFileOrganizationId). Ids are gen_random_uuid(); the primary key
-- (organization_id, id) keeps them unique where it matters, and the lookup needs an index, not uniqueness.
-- No foreign key refers to files (id) alone (they all use (organization_id, id)).
DROP INDEX storage_meta.files_id_idx;
CREATE INDEX files_id_idx ON storage_meta.files (id);
