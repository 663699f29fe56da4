-- audit_log_by_scope (001) indexed the exact scope, which no search reads: scope searches are
-- case-insensitive prefix ranges over audit_log_by_scope_lower (005), and an exact-scope filter
-- reads that index too (lower(scope) = ? AND scope = ?, src/audit/audit-rows.ts). Scopes are
-- nearly unique per resource, so each append with a scope dirtied one more random leaf page in
-- this index, written to the WAL at every commit. Without it a distinct decision costs ~20% less
-- CPU and concurrent appends pass 10,000/s (issue 18, bench/RESULTS.md 2026-12-06).
DROP INDEX audit_log_by_scope;
