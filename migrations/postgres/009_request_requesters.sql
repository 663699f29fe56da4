-- PostgreSQL twin of migrations/009_request_requesters.sql.
-- Who asked for a request (trigger.requestedBy), resolved against the directory when the request
-- was created (src/directory/requester-store.ts): a user's object id, or "unresolved" with the
-- reason. Approvals compare object ids only; an unresolved requester needs one more distinct
-- approver. Written once with the request and never changed: a later directory change or a
-- second look-up must not move who counts as the requester.
CREATE TABLE request_requesters (
  request_id TEXT COLLATE "C" PRIMARY KEY NOT NULL REFERENCES operation_requests (id),
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('resolved', 'unresolved')),
  -- lower case; set exactly when resolved
  object_id TEXT COLLATE "C" CHECK ((status = 'resolved') = (object_id IS NOT NULL)),
  -- set exactly when unresolved
  reason TEXT COLLATE "C" CHECK ((status = 'unresolved') = (reason IS NOT NULL)),
  resolved_at TEXT COLLATE "C" NOT NULL
);

CREATE FUNCTION request_requesters_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'request_requesters rows are immutable';
END;
$$;
CREATE TRIGGER request_requesters_immutable BEFORE UPDATE ON request_requesters FOR EACH ROW EXECUTE FUNCTION request_requesters_immutable();
CREATE TRIGGER request_requesters_undeletable BEFORE DELETE ON request_requesters FOR EACH ROW EXECUTE FUNCTION request_requesters_immutable();
-- TRUNCATE skips row triggers (elevate_refuse_truncate: 001).
CREATE TRIGGER request_requesters_no_truncate BEFORE TRUNCATE ON request_requesters FOR EACH STATEMENT EXECUTE FUNCTION elevate_refuse_truncate('request_requesters rows are immutable');
