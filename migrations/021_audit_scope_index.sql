-- audit_log_by_scope (001) indexed the exact scope, which no search reads: scope searches are
-- case-insensitive prefix ranges over audit_log_by_scope_lower (005), and an exact-scope filter
-- reads that index too (lower(scope) = ? AND scope = ?, src/audit/audit-rows.ts). Scopes are
-- nearly unique per resource, so each append with a scope dirtied one more random leaf page in
-- this index, written to the WAL at every commit: ~30% of a distinct decision's commit time and
-- ~35 µs of CPU per row (issue 18, bench/RESULTS.md 2026-12-06). Dropping it frees its pages.
DROP INDEX audit_log_by_scope;
