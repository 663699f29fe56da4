-- Who asked for a request (trigger.requestedBy), resolved against the directory when the request
-- was created (src/directory/requester-store.ts): a user's object id, or "unresolved" with the
-- reason. Approvals compare object ids only; an unresolved requester needs one more distinct
-- approver. Written once with the request and never changed: a later directory change or a
-- second look-up must not move who counts as the requester.
CREATE TABLE request_requesters (
  request_id TEXT PRIMARY KEY NOT NULL REFERENCES operation_requests (id),
  status TEXT NOT NULL CHECK (status IN ('resolved', 'unresolved')),
  -- lower case; set exactly when resolved
  object_id TEXT CHECK ((status = 'resolved') = (object_id IS NOT NULL)),
  -- set exactly when unresolved
  reason TEXT CHECK ((status = 'unresolved') = (reason IS NOT NULL)),
  resolved_at TEXT NOT NULL
) STRICT;

CREATE TRIGGER request_requesters_immutable BEFORE UPDATE ON request_requesters
BEGIN
  SELECT RAISE(ABORT, 'request_requesters rows are immutable');
END;

CREATE TRIGGER request_requesters_undeletable BEFORE DELETE ON request_requesters
BEGIN
  SELECT RAISE(ABORT, 'request_requesters rows are immutable');
END;
