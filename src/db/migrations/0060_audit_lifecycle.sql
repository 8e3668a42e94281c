-- Audits become the unit of work a user sees: a description, a category, a period, labels, who created
-- it, and a status with the time each status was first reached; files and audits become many-to-many.
--
-- Not partitioned by created_at. A partitioned table's primary key and unique constraints must include
-- the partition key, so audit.audits would lose UNIQUE (organization_id, name), which `ingest --audit
-- <name>` (ensureAudit: INSERT ... ON CONFLICT (organization_id, name)) relies on to create an audit
-- once under concurrent uploads, and every foreign key to it (storage_meta.files.audit_id since 0003,
-- audit.audit_files below) would have to carry the audit's created_at beside its id, in every row and
-- every API path that names an audit by id. Audits are few per organization (thousands, each a small
-- row); the tables that grow with use are the ones referencing them (files, chunks, metrics, the
-- activity log, already partitioned). Every key still leads with organization_id, so the table is
-- distributable by organization (Citus) as it stands.

-- The status machine (the authority; src/domain/audit-status.ts mirrors it and a test checks both agree):
--
--   draft -> collecting -> processing -> ready -> reviewed
--   processing | collecting -> failed -> collecting (retry)
--   ready -> processing (analysed again)
--   any status but archived -> archived (terminal)
--
-- <status>_at is the first time the audit reached that status (what the funnel measures); every
-- transition is also appended to status_history ([{"status", "at"}]). A trigger refuses any other
-- transition, whoever writes it.
CREATE FUNCTION audit.status_transition_allowed(from_status text, to_status text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT (from_status, to_status) IN (
    ('draft', 'collecting'),
    ('collecting', 'processing'), ('collecting', 'failed'),
    ('processing', 'ready'), ('processing', 'failed'),
    ('ready', 'reviewed'), ('ready', 'processing'),
    ('failed', 'collecting'))
    OR (to_status = 'archived' AND from_status <> 'archived')
$$;

ALTER TABLE audit.audits
  ADD COLUMN description text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
  ADD COLUMN category text CHECK (length(category) BETWEEN 1 AND 100),
  ADD COLUMN status text NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft', 'collecting', 'processing', 'ready', 'reviewed', 'failed', 'archived')),
  ADD COLUMN period daterange CHECK (NOT isempty(period)),
  -- Free-form string labels ({"team": "finance"}); GET /v1/audits?label=team:finance filters on them.
  ADD COLUMN labels jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(labels) = 'object'),
  -- Who created it: the actor as the activity log names it (`cli:<user>`, `api`), and the API key if any.
  ADD COLUMN created_by text,
  ADD COLUMN created_by_api_key_id uuid,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN collecting_at timestamptz,
  ADD COLUMN processing_at timestamptz,
  ADD COLUMN ready_at timestamptz,
  ADD COLUMN reviewed_at timestamptz,
  ADD COLUMN failed_at timestamptz,
  ADD COLUMN archived_at timestamptz,
  ADD COLUMN status_history jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- 'simple': names and descriptions are in any language, and the two-argument form is immutable.
  ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', name || ' ' || description)) STORED;

-- Audits that already hold files were collecting them.
UPDATE audit.audits a SET status = 'collecting', collecting_at = a.created_at,
  status_history = jsonb_build_array(jsonb_build_object('status', 'collecting', 'at', a.created_at))
WHERE EXISTS (SELECT 1 FROM storage_meta.files f WHERE f.organization_id = a.organization_id AND f.audit_id = a.id);

CREATE FUNCTION audit.record_status_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.status IS DISTINCT FROM OLD.status THEN
    IF NOT audit.status_transition_allowed(OLD.status, NEW.status) THEN
      RAISE EXCEPTION 'audit status cannot go from % to %', OLD.status, NEW.status
        USING ERRCODE = 'check_violation', CONSTRAINT = 'audits_status_transition';
    END IF;
  END IF;
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
    NEW.status_history := NEW.status_history || jsonb_build_array(jsonb_build_object('status', NEW.status, 'at', now()));
    CASE NEW.status
      WHEN 'collecting' THEN NEW.collecting_at := coalesce(NEW.collecting_at, now());
      WHEN 'processing' THEN NEW.processing_at := coalesce(NEW.processing_at, now());
      WHEN 'ready' THEN NEW.ready_at := coalesce(NEW.ready_at, now());
      WHEN 'reviewed' THEN NEW.reviewed_at := coalesce(NEW.reviewed_at, now());
      WHEN 'failed' THEN NEW.failed_at := coalesce(NEW.failed_at, now());
      WHEN 'archived' THEN NEW.archived_at := coalesce(NEW.archived_at, now());
      ELSE NULL;
    END CASE;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER audits_status_change BEFORE INSERT OR UPDATE ON audit.audits
FOR EACH ROW EXECUTE FUNCTION audit.record_status_change();

-- Indexes, each serving a query of src/db/audits.ts (EXPLAIN in test/audits.indexes.test.ts).
-- Under row-level security the planner uses an index only for a leakproof operator (the policy's quals
-- must run first, and an index condition would run before them); @@, && and @> are not leakproof, so
-- GET /v1/audits as ingest_app could never use the GIN and GiST indexes below. The three filters are
-- therefore answered by the definer functions after them, which restrict to the organization the
-- transaction acts for themselves and run as the owner, where the indexes apply.
-- the listing, newest first, keyset-paginated (GET /v1/audits),
CREATE INDEX audits_org_created_idx ON audit.audits (organization_id, created_at DESC, id DESC);
-- ?q= full-text search over name and description,
CREATE INDEX audits_search_idx ON audit.audits USING gin (search);
-- ?from=&to= audits whose period overlaps a range (&&),
CREATE INDEX audits_period_idx ON audit.audits USING gist (period);
-- ?label=key:value (labels @> '{"key": "value"}').
CREATE INDEX audits_labels_idx ON audit.audits USING gin (labels jsonb_path_ops);

-- The ids of the current organization's audits matching one filter. SECURITY DEFINER (see above): each
-- restricts itself to tenant.current_organization_id(), NULL (no match) when no organization is set.
CREATE FUNCTION audit.audits_matching_text(query text) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT a.id FROM audit.audits a
  WHERE a.search @@ websearch_to_tsquery('simple', query) AND a.organization_id = tenant.current_organization_id()
$$;
CREATE FUNCTION audit.audits_overlapping(period daterange) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT a.id FROM audit.audits a
  WHERE a.period && audits_overlapping.period AND a.organization_id = tenant.current_organization_id()
$$;
CREATE FUNCTION audit.audits_labelled(labels jsonb) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT a.id FROM audit.audits a
  WHERE a.labels @> audits_labelled.labels AND a.organization_id = tenant.current_organization_id()
$$;
REVOKE ALL ON FUNCTION audit.audits_matching_text(text), audit.audits_overlapping(daterange),
  audit.audits_labelled(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit.audits_matching_text(text), audit.audits_overlapping(daterange),
  audit.audits_labelled(jsonb) TO ingest_app;

-- Files and audits, many-to-many: one stored file (deduplicated by content) joins any number of audits.
-- storage_meta.files.audit_id stays: the audit a file was first ingested under, which its metric rows
-- carry.
CREATE TABLE audit.audit_files (
  organization_id uuid NOT NULL,
  audit_id uuid NOT NULL,
  file_id uuid NOT NULL,
  attached_at timestamptz NOT NULL DEFAULT now(),
  attached_by text,
  PRIMARY KEY (organization_id, audit_id, file_id),
  FOREIGN KEY (organization_id, audit_id) REFERENCES audit.audits (organization_id, id) ON DELETE CASCADE,
  FOREIGN KEY (organization_id, file_id) REFERENCES storage_meta.files (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX audit_files_file_idx ON audit.audit_files (organization_id, file_id);
INSERT INTO audit.audit_files (organization_id, audit_id, file_id, attached_at)
SELECT organization_id, audit_id, id, created_at FROM storage_meta.files WHERE audit_id IS NOT NULL AND status = 'ready';

ALTER TABLE audit.audit_files ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit.audit_files
  USING (tenant.is_current_organization(organization_id)) WITH CHECK (tenant.is_current_organization(organization_id));

-- Deleting an audit: ingest_app holds no DELETE on audit.audits (0010), so that a tenant able to run SQL
-- cannot erase its audits in bulk; DELETE /v1/audits/:id deletes one, by id, in the organization the
-- transaction acts for. Its audit_files rows go by ON DELETE CASCADE, storage_meta.files.audit_id is set
-- to NULL; the files stay.
CREATE FUNCTION audit.delete_audit(audit_id uuid) RETURNS boolean
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  WITH deleted AS (
    DELETE FROM audit.audits a
    WHERE a.organization_id = tenant.current_organization_id() AND a.id = delete_audit.audit_id
    RETURNING 1)
  SELECT count(*) > 0 FROM deleted
$$;
REVOKE ALL ON FUNCTION audit.delete_audit(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit.delete_audit(uuid) TO ingest_app;

-- ingest_app: what src/db/audits.ts does (see the table in 0010).
-- audit.audits      | SELECT    | all                                  | getAudit, listAudits, ...
--                   | INSERT    | organization_id, name, description,  | createAudit, ensureAudit
--                   |           | category, status, period, labels,    |
--                   |           | created_by, created_by_api_key_id    |
--                   | UPDATE    | description, category, period,       | updateAudit, setAuditStatus (the trigger
--                   |           | labels, status                       | writes the times, history, updated_at)
--                   | (none)    | no UPDATE of name (uploads file into an audit by name: a rename would
--                   |           | send later `--audit <old name>` uploads to a new audit), created_*, the
--                   |           | times or the history; no DELETE but through audit.delete_audit
-- audit.audit_files | SELECT    | all                                  | listAuditFiles, auditTotals
--                   | INSERT    | organization_id, audit_id, file_id,  | attachFileToAudit
--                   |           | attached_by                          |
--                   | DELETE    |                                      | detachFileFromAudit
--                   | (none)    | no UPDATE
GRANT INSERT (organization_id, name, description, category, status, period, labels, created_by, created_by_api_key_id)
  ON audit.audits TO ingest_app;
GRANT UPDATE (description, category, status, period, labels) ON audit.audits TO ingest_app;
GRANT SELECT, DELETE ON audit.audit_files TO ingest_app;
GRANT INSERT (organization_id, audit_id, file_id, attached_by) ON audit.audit_files TO ingest_app;
