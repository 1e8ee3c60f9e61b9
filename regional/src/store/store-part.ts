/** What the registry and batch-job classes of both dialects share with their Store: its drizzle database and its is-it-open check. */
export abstract class StorePart<Db> {
  constructor(
    protected readonly db: Db,
    /** Throws StoreError CLOSED once the store is closed. */
    protected readonly live: () => void,
  ) {}
}
