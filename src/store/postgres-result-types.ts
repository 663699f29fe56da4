import pg from 'pg';
import { StoreError } from './store-errors.ts';

/** PostgreSQL type OIDs (pg_type.oid), stable across versions. */
const INT8 = 20;
const NUMERIC = 1700;
const BOOL = 16;

/**
 * How result columns come back, chosen so the use cases read the same JS values on both adapters:
 * - bigint (COUNT(*), SUM of integers, BIGINT/BIGSERIAL columns) as a number, as SQLite gives
 *   its 64-bit integers; a value beyond 2^53 fails the query instead of losing digits;
 * - numeric (AVG, SUM of bigints) as a number, as SQLite's REAL;
 * - boolean as 1/0, as SQLite has no booleans and callers compare flags with 1.
 * Dates and times keep pg's defaults (Date objects): the PostgreSQL schema stores timestamps as
 * ISO-8601 TEXT like the SQLite one, so none should reach here.
 * Per pool, not pg's process-wide registry, so other pg users in the process are unaffected.
 */
export function elevateResultTypes(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8, 'text', (text: string) => {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new StoreError(`a bigint result (${text}) is beyond JavaScript's exact integers`);
    return n;
  });
  types.setTypeParser(NUMERIC, 'text', (text: string) => Number(text));
  types.setTypeParser(BOOL, 'text', (text: string) => (text === 't' ? 1 : 0));
  return types;
}
