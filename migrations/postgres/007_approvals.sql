-- PostgreSQL twin of migrations/007_approvals.sql.
-- Approvals of operation requests by SRE Agent Administrators (src/approvals/approval-store.ts).
-- The request's own state stays in operation_requests and changes only through the lifecycle's
-- compare-and-set; these tables hold who has approved so far and elevation approvals waiting for
-- the approver's fresh sign-in. No token of any kind is ever stored here.

-- One row per administrator who approved a request; the primary key makes a second approval by
-- the same person impossible, whatever the race.
CREATE TABLE approval_reviews (
  request_id TEXT COLLATE "C" NOT NULL REFERENCES operation_requests (id),
  -- lower case: Entra is not consistent about the case of object ids
  approver_oid TEXT COLLATE "C" NOT NULL,
  approver_upn TEXT COLLATE "C" NOT NULL,
  approver_tid TEXT COLLATE "C" NOT NULL,
  kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('consent', 'elevation')),
  reason TEXT COLLATE "C" NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (request_id, approver_oid)
);

-- An elevation approval between the Approve button and the fresh sign-in's callback. The
-- callback consumes it exactly once (consumed_at set by compare-and-set); a replayed or late
-- callback finds nothing to continue. `rounds` bounds sign-ins asked for again by Entra
-- (MFA / Conditional Access claims challenges).
CREATE TABLE elevation_attempts (
  request_id TEXT COLLATE "C" NOT NULL REFERENCES operation_requests (id),
  approver_oid TEXT COLLATE "C" NOT NULL,
  approver_upn TEXT COLLATE "C" NOT NULL,
  reason TEXT COLLATE "C" NOT NULL,
  rounds BIGINT NOT NULL DEFAULT 1 CHECK (rounds >= 1),
  created_at TEXT COLLATE "C" NOT NULL,
  expires_at TEXT COLLATE "C" NOT NULL,
  consumed_at TEXT COLLATE "C",
  PRIMARY KEY (request_id, approver_oid)
);
