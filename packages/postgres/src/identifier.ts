import { createHash } from 'node:crypto';

/** A lower-case SQL identifier, as the config schema accepts for `table`. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
/** PostgreSQL truncates longer identifiers (NAMEDATALEN - 1). */
const MAX_IDENTIFIER = 63;

/**
 * Checks a table name and returns it double-quoted for SQL. Only lower-case identifiers are
 * accepted (no schema prefix: put the schema on the connection's `search_path`), so a name can
 * never carry SQL of its own.
 */
export function quoteTable(name: unknown, what = 'table'): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new TypeError(`${what} must be a lower-case SQL identifier (a-z, 0-9, _; at most 63 characters)`);
  }
  return `"${name}"`;
}

/**
 * A name derived from a table (index, channel): `<table>_<suffix>`, shortened with a hash when
 * it would pass PostgreSQL's 63-character limit, so two long table names never share one.
 */
export function derivedName(table: string, suffix: string): string {
  const plain = `${table}_${suffix}`;
  if (plain.length <= MAX_IDENTIFIER) return plain;
  const hash = createHash('sha256').update(table).digest('hex').slice(0, 8);
  return `${table.slice(0, MAX_IDENTIFIER - suffix.length - hash.length - 2)}_${hash}_${suffix}`;
}
