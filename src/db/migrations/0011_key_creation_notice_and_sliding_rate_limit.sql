-- Two things the HTTP server's authentication relies on across processes.
--
-- 1. A key's creation notifies, as its revocation and deletion already do (migration 0009). A server
--    remembers briefly which key prefixes it found unknown (src/cache-coherence/unknown-key-cache.ts);
--    the notification makes every server forget them the moment a key commits, so a key created by the
--    CLI or another server is never refused because of what a server remembered before it existed.
CREATE TRIGGER api_keys_notify_insert
AFTER INSERT ON tenant.api_keys
FOR EACH ROW EXECUTE FUNCTION tenant.notify_row_change('ingest_api_key_changes');

-- 2. Per-key rate limits as a sliding window instead of one window per calendar minute (which let a
--    key send its limit just before a minute's end and again just after it: twice the limit in a
--    moment). tenant.rate_limit_windows now holds the requests granted per key and second.
--
-- Counts `requests` requests of key `key_id` of the current organization (ingest.organization_id)
-- and grants as many as fit: the requests granted in the 62 one-second slots ending with the current
-- one (the last 61 to 62 s), plus those of this count, never pass the key's limit. Only granted
-- requests are recorded: a refused request costs the key nothing. Also stamps last_used_at.
--
-- Returns one row, (granted, retry_after_ms), where retry_after_ms is 0 when every request was granted
-- and otherwise the milliseconds until one more request fits (when enough of the oldest slots have
-- left the window); no row when the key is revoked, deleted or not the current organization's.
--
-- The guarantee, with the server's leases (src/cache-coherence/rate-limiter.ts), which hand out a
-- count's requests for at most 1 s after the count was sent: across all processes, a key is granted at
-- most its limit in any 60 s interval. The requests used in an interval [a, a + 60 s] were counted in
-- [a - 1 s, a + 60 s]; the last of those counts saw every slot from a - 1 s on (62 slots reach back at
-- least 61 s), and granted only what kept their sum within the limit.
--
-- The key's row lock (the UPDATE first) serializes every count of a key from every process. Each later
-- statement of this VOLATILE function takes a fresh snapshot (READ COMMITTED), so it reads the slots as
-- the previous count committed them; a single statement would read them from a snapshot taken before
-- the lock was granted, and two processes could both grant the last request. SECURITY DEFINER: the
-- application role executes this and needs no write access to the windows, which it could otherwise
-- clear to escape its limit; the organization is the transaction's, never a parameter.
CREATE FUNCTION tenant.count_api_key_requests(key_id uuid, requests integer)
RETURNS TABLE (granted integer, retry_after_ms integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  org uuid := tenant.current_organization_id();
  key_limit integer;
  counted_at timestamptz;
  slot timestamptz;
  used bigint;
BEGIN
  IF requests IS NULL OR requests < 1 THEN
    RAISE EXCEPTION 'requests must be a positive integer, got %', requests USING ERRCODE = '22023';
  END IF;
  UPDATE tenant.api_keys k SET last_used_at = now()
  WHERE k.organization_id = org AND k.id = key_id AND k.revoked_at IS NULL
  RETURNING k.rate_limit_per_minute INTO key_limit;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  -- Read after the lock was granted: counts of a key are stamped in the order they were made.
  counted_at := clock_timestamp();
  slot := date_trunc('second', counted_at);
  DELETE FROM tenant.rate_limit_windows w
  WHERE w.organization_id = org AND w.api_key_id = key_id AND w.window_start < slot - interval '61 seconds';
  SELECT coalesce(sum(w.request_count), 0) INTO used
  FROM tenant.rate_limit_windows w
  WHERE w.organization_id = org AND w.api_key_id = key_id;
  granted := least(requests, greatest(0, key_limit - used))::integer;
  retry_after_ms := 0;
  IF granted > 0 THEN
    INSERT INTO tenant.rate_limit_windows AS w (organization_id, api_key_id, window_start, request_count)
    VALUES (org, key_id, slot, granted)
    ON CONFLICT (organization_id, api_key_id, window_start)
      DO UPDATE SET request_count = w.request_count + excluded.request_count;
  END IF;
  IF granted < requests THEN
    -- One more request fits once the oldest slots holding at least (used + granted) - (limit - 1)
    -- requests have left the window: slot s leaves it when the current slot is s + 62 s.
    SELECT greatest(1, ceil(extract(epoch FROM s.window_start + interval '62 seconds' - counted_at) * 1000))::integer
    INTO retry_after_ms
    FROM (
      SELECT w.window_start, sum(w.request_count) OVER (ORDER BY w.window_start) AS through
      FROM tenant.rate_limit_windows w
      WHERE w.organization_id = org AND w.api_key_id = key_id
    ) s
    WHERE used + granted - s.through <= key_limit - 1
    ORDER BY s.window_start
    LIMIT 1;
    retry_after_ms := coalesce(retry_after_ms, 62000);
  END IF;
  RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION tenant.count_api_key_requests(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant.count_api_key_requests(uuid, integer) TO ingest_app;
