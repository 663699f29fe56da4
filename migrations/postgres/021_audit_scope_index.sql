-- PostgreSQL twin of migrations/021_audit_scope_index.sql: the exact-scope index no search
-- reads; exact and prefix scope searches use audit_log_by_scope_lower (lower(scope), seq).
DROP INDEX audit_log_by_scope;
