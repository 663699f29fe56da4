-- PostgreSQL twin of migrations/022_audit_anchor_seal.sql: the retention run's signature over the
-- anchor it set, as JSON {"keyId", "signature"}; NULL for an anchor an older build set.
ALTER TABLE audit_anchor ADD COLUMN seal TEXT COLLATE "C";
