// node:sqlite (Node.js 22.13+), which @types/node 20 does not declare: the part the SQLite session store
// recipe uses (test/recipes/sqlite-store.ts). A user's @types/node 22 or later declares it all.
declare module "node:sqlite" {
  type SQLValue = null | number | bigint | string | Uint8Array;
  export class StatementSync {
    run(...values: SQLValue[]): { changes: number | bigint; lastInsertRowid: number | bigint };
    get(...values: SQLValue[]): unknown;
    all(...values: SQLValue[]): unknown[];
  }
  export class DatabaseSync {
    constructor(path: string);
    exec(sql: string): void;
    prepare(sql: string): StatementSync;
    close(): void;
  }
}
