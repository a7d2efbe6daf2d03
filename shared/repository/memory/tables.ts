/**
 * The in-memory repository's storage: rows per table in insertion order, serial ids that
 * (as in PostgreSQL) are never handed out twice, and an undo log per transaction.
 *
 * Stored rows are frozen and reads hand out copies, so no caller can change a row except
 * through a store. A transaction records the previous value of every row it writes; a
 * throw replays that log backwards, so only its own writes are undone. There is no
 * isolation: concurrent callers see each other's uncommitted writes.
 */

export type Row = Readonly<Record<string, unknown>>;

/** Tables whose rows are written once: a rollback may remove them, nothing else may touch them. */
const FROZEN_TABLES: ReadonlySet<string> = new Set(['predictions']);
type Key = string | number;

/** A refusal the database would raise; `code` is PostgreSQL's SQLSTATE for it. */
export class ConstraintError extends Error {
  constructor(
    message: string,
    readonly code: '23505' | '23503' | '23514' | '23000',
  ) {
    super(message);
    this.name = 'ConstraintError';
  }
}

interface UndoEntry {
  table: string;
  key: Key;
  previous: Row | undefined;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

/** A deep copy, as a read through a database hands out. */
export const copy = <T>(value: T): T => structuredClone(value);

/** jsonb round trip: what comes back is what JSON keeps (no undefined, Dates as strings). */
export const jsonb = <T>(value: T): T => (value === undefined ? (null as T) : JSON.parse(JSON.stringify(value)));

export class Tables {
  private readonly tables = new Map<string, Map<Key, Row>>();
  private readonly sequences = new Map<string, number>();

  constructor(readonly now: () => Date) {}

  private table(name: string): Map<Key, Row> {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = new Map()));
    return t;
  }

  nextId(table: string): number {
    const id = (this.sequences.get(table) ?? 0) + 1;
    this.sequences.set(table, id);
    return id;
  }

  /** The stored rows (frozen: copy before handing them out of the repository). */
  rows(table: string): Row[] {
    return [...this.table(table).values()];
  }

  get(table: string, key: Key): Row | undefined {
    return this.table(table).get(key);
  }

  count(table: string): number {
    return this.table(table).size;
  }

  /** @internal Through a Session only, so transactions can undo it. */
  set(table: string, key: Key, row: Row | undefined): Row | undefined {
    const t = this.table(table);
    const previous = t.get(key);
    if (row === undefined) t.delete(key);
    else t.set(key, deepFreeze(row));
    return previous;
  }
}

/** A view of the tables that records its writes when it belongs to a transaction. */
export class Session {
  private constructor(
    readonly tables: Tables,
    private readonly log: UndoEntry[] | null,
  ) {}

  static root(tables: Tables): Session {
    return new Session(tables, null);
  }

  now(): Date {
    return this.tables.now();
  }

  write(table: string, key: Key, row: Row): void {
    this.refuseChangeOfFrozen(table, key, 'updated');
    this.record(table, key, this.tables.set(table, key, row));
  }

  delete(table: string, key: Key): void {
    this.refuseChangeOfFrozen(table, key, 'deleted');
    this.record(table, key, this.tables.set(table, key, undefined));
  }

  /** A frozen snapshot (with its entries) is written once and never changed (migrations/004, 007). */
  private refuseChangeOfFrozen(table: string, key: Key, what: string): void {
    if (FROZEN_TABLES.has(table) && this.tables.get(table, key)) {
      throw new ConstraintError(`prediction ${key} is frozen and cannot be ${what}`, '23000');
    }
  }

  private record(table: string, key: Key, previous: Row | undefined): void {
    this.log?.push({ table, key, previous });
  }

  /**
   * Runs `work` as one transaction (a savepoint inside another): on a throw every write it
   * made is undone, newest first; on success its writes join the outer transaction's log.
   */
  async transaction<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const inner = new Session(this.tables, []);
    try {
      const result = await work(inner);
      this.log?.push(...inner.log!);
      return result;
    } catch (err) {
      for (const u of inner.log!.reverse()) this.tables.set(u.table, u.key, u.previous);
      throw err;
    }
  }
}
