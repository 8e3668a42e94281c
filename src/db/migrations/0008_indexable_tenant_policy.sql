-- Row-level security that indexes can serve. The policy of every tenant table inlines
-- tenant.is_current_organization(organization_id); written with IS NOT DISTINCT FROM, the inlined
-- predicate matched no index, so a listing ordered by (created_at, id) read and sorted every file of
-- every organization (a sequential scan of storage_meta.files per GET /v1/files). Written with `=`, it
-- inlines to organization_id = <stable expression>, which (organization_id, ...) indexes serve.
-- Same rows as before: `=` is NULL, which a policy treats as false, when either side is NULL, i.e.
-- when no organization is set or the row has none.
CREATE OR REPLACE FUNCTION tenant.is_current_organization(org uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT org = tenant.current_organization_id() $$;
