/**
 * One HNSW index per embedder on PostgreSQL: `chunks.embedding` takes vectors of any width, and
 * pgvector indexes one fixed width, so each (embedding version, dimension) gets a partial index
 * over `embedding::vector(N)` restricted to its own rows. Vector search repeats the index's
 * predicate and expression (vectorSearchSql), so the planner uses it; chunks of other embedders,
 * of any width, stay in the table untouched (other instances may still run that embedder, or it
 * may come back) and cost nothing.
 *
 * ensureVectorIndex runs when a store opens (under the migration lock): it creates the index of
 * this embedder if missing and drops indexes of embedders no chunk uses any more. Each index's
 * comment records its version, so that can be checked without parsing index definitions.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';

/** pgvector's HNSW limit for `vector`; wider embeddings are searched by an exact scan. */
export const HNSW_MAX_DIMENSIONS = 2000;
const PREFIX = 'chunks_embedding_hnsw_';

export function vectorIndexName(version: string, dimensions: number): string {
  return `${PREFIX}${dimensions}_${createHash('sha256').update(version).digest('hex').slice(0, 16)}`;
}

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The rows an index covers, and what a query must say to use it. `dimensions` is a checked integer. */
export function vectorPredicate(version: string, dimensions: number, alias = ''): string {
  return `${alias}embedding_version = ${literal(version)} AND vector_dims(${alias}embedding) = ${dimensions}`;
}

/**
 * Creates this embedder's index if it is missing; drops other embedders' indexes once none of
 * their chunks remain. Returns what it did, for the startup log.
 */
export async function ensureVectorIndex(client: pg.PoolClient, version: string, dimensions: number): Promise<{ index: string | null; created: boolean; dropped: string[] }> {
  if (!Number.isInteger(dimensions) || dimensions < 1) throw new Error(`bad dimensions ${dimensions}`);
  const dropped: string[] = [];
  const existing = await client.query<{ name: string; version: string | null }>(
    `SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS version
     FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
     WHERE i.indrelid = to_regclass('chunks') AND c.relname LIKE '${PREFIX}%'`,
  );
  const mine = vectorIndexName(version, dimensions);
  for (const ix of existing.rows) {
    if (ix.name === mine || ix.version === null) continue;
    const used = await client.query(`SELECT 1 FROM chunks WHERE embedding_version = $1 LIMIT 1`, [ix.version]);
    if (used.rowCount) continue;
    await client.query(`DROP INDEX IF EXISTS "${ix.name}"`);
    dropped.push(ix.name);
  }
  if (dimensions > HNSW_MAX_DIMENSIONS) return { index: null, created: false, dropped };
  if (existing.rows.some((ix) => ix.name === mine)) return { index: mine, created: false, dropped };
  await client.query(
    `CREATE INDEX IF NOT EXISTS "${mine}" ON chunks USING hnsw ((embedding::vector(${dimensions})) vector_cosine_ops) WHERE ${vectorPredicate(version, dimensions)}`,
  );
  await client.query(`COMMENT ON INDEX "${mine}" IS ${literal(version)}`);
  return { index: mine, created: true, dropped };
}
