/**
 * One HNSW index per embedder on PostgreSQL: `chunks.embedding` takes vectors of any width, and
 * pgvector indexes one fixed width, so each (embedding version, dimension) gets a partial index
 * over `embedding::vector(N)` restricted to its own rows. Vector search repeats the index's
 * predicate and expression (vectorSearchSql), so the planner uses it; chunks of other embedders,
 * of any width, stay in the table untouched (other instances may still run that embedder, or it
 * may come back) and cost nothing.
 *
 * ensureVectorIndex runs when a store opens (under the migration lock) and creates the index of
 * this embedder if it is missing. Indexes of other embedders are left alone, even when no chunk
 * uses them now: another instance may be starting with that embedder (a canary, a rollout), and
 * an index over no rows costs next to nothing. Each index's comment records its version, so
 * `unusedVectorIndexes` can list the ones no chunk uses, for an operator to drop.
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

type Queryable = Pick<pg.PoolClient, 'query'>;

async function vectorIndexes(db: Queryable): Promise<{ name: string; version: string | null }[]> {
  const r = await db.query<{ name: string; version: string | null }>(
    `SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS version
     FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
     WHERE i.indrelid = to_regclass('chunks') AND c.relname LIKE '${PREFIX}%'
     ORDER BY c.relname`,
  );
  return r.rows;
}

/** Creates this embedder's index if it is missing (none past HNSW's width limit: exact search then). */
export async function ensureVectorIndex(client: Queryable, version: string, dimensions: number): Promise<{ index: string | null; created: boolean }> {
  if (!Number.isInteger(dimensions) || dimensions < 1) throw new Error(`bad dimensions ${dimensions}`);
  if (dimensions > HNSW_MAX_DIMENSIONS) return { index: null, created: false };
  const mine = vectorIndexName(version, dimensions);
  if ((await vectorIndexes(client)).some((ix) => ix.name === mine)) return { index: mine, created: false };
  await client.query(
    `CREATE INDEX IF NOT EXISTS "${mine}" ON chunks USING hnsw ((embedding::vector(${dimensions})) vector_cosine_ops) WHERE ${vectorPredicate(version, dimensions)}`,
  );
  await client.query(`COMMENT ON INDEX "${mine}" IS ${literal(version)}`);
  return { index: mine, created: true };
}

/** Vector indexes of embedding versions no chunk has now: `DROP INDEX` them once no instance runs that embedder. */
export async function unusedVectorIndexes(db: Queryable): Promise<{ name: string; version: string | null }[]> {
  const out: { name: string; version: string | null }[] = [];
  for (const ix of await vectorIndexes(db)) {
    const used = ix.version !== null && (await db.query(`SELECT 1 FROM chunks WHERE embedding_version = $1 LIMIT 1`, [ix.version])).rowCount;
    if (!used) out.push(ix);
  }
  return out;
}
