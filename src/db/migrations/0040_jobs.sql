-- Background work (src/jobs). The queue itself is pg-boss, in its own schema `pgboss`, installed and
-- upgraded by migrate() from the library's own construction and migration plans (src/db/job-queue-schema.ts),
-- under the same advisory lock as these files. pg-boss's statements run as the login role (the operator
-- role that owns both schemas); what a job does to tenant data runs as ingest_app under row-level security,
-- as a request does. This table is the tenant's view of a job: one row per job, keyed by organization.
--
-- table                  | operation | columns                                      | statements (src/db/jobs.ts)
-- -----------------------+-----------+----------------------------------------------+---------------------------
-- storage_meta.jobs      | SELECT    | all                                          | getJob, listJobs
--                        | INSERT    | id, organization_id, kind, filename,         | insertJob
--                        |           | staged_key, bytes_total, options             |
--                        | UPDATE    | state, attempts, bytes_done, rows_done,      | markJobRunning, markJobProgress,
--                        |           | file_id, result, error_code, error_message,  | markJobSucceeded, markJobFailed,
--                        |           | started_at, finished_at, updated_at          | markJobCancelled, requeueJob
--                        | (none)    | no DELETE: jobs are the tenant's history; an organization's deletion removes them by cascade
CREATE TABLE storage_meta.jobs (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES tenant.organizations (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('ingest')),
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  filename text NOT NULL,
  -- The uploaded bytes, stored in the object store before the job was enqueued, so a worker that dies
  -- leaves them for the next attempt; removed once the job succeeds or is cancelled.
  staged_key text NOT NULL,
  options jsonb NOT NULL DEFAULT '{}',
  attempts integer NOT NULL DEFAULT 0,
  bytes_total bigint,
  bytes_done bigint NOT NULL DEFAULT 0,
  rows_done bigint NOT NULL DEFAULT 0,
  file_id uuid,
  result jsonb,
  error_code text,
  error_message text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id)
);
CREATE INDEX jobs_organization_created ON storage_meta.jobs (organization_id, created_at DESC, id);

ALTER TABLE storage_meta.jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON storage_meta.jobs
  USING (tenant.is_current_organization(organization_id))
  WITH CHECK (tenant.is_current_organization(organization_id));

GRANT SELECT ON storage_meta.jobs TO ingest_app;
GRANT INSERT (id, organization_id, kind, filename, staged_key, bytes_total, options) ON storage_meta.jobs TO ingest_app;
GRANT UPDATE (state, attempts, bytes_done, rows_done, file_id, result, error_code, error_message, started_at,
  finished_at, updated_at) ON storage_meta.jobs TO ingest_app;
