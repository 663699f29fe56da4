-- PostgreSQL twin of migrations/021_audit_scope_index.sql: the exact-scope index no search
-- reads; exact and prefix scope searches use audit_log_by_scope_lower (lower(scope), seq).
-- DROP INDEX holds audit_log's exclusive lock only while the index's files are unlinked (no table
-- scan), so appends on other instances wait a moment during an upgrade, and none is lost.
DROP INDEX audit_log_by_scope;
