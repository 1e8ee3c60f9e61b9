/** The D1 migrations bundled into the Worker, in order (a test checks this matches edge/migrations/). */
import m0000 from '../../migrations/0000_cache.sql';

export const MIGRATIONS: { name: string; sql: string }[] = [{ name: '0000_cache.sql', sql: m0000 }];
