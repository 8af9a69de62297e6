import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { describeCountStoreConformance } from '../conformance.ts';
import type { CountStore } from '../types.ts';
import { openSqliteCountStore, type SqliteCountStoreOptions } from './index.ts';

function open(options: SqliteCountStoreOptions): CountStore {
  const opened = openSqliteCountStore(options);
  if (!opened.ok) throw new Error(JSON.stringify(opened.issues));
  return opened.value;
}

describeCountStoreConformance('sqlite :memory:', async (options) => open({ path: ':memory:', ...options }));

// A file in WAL mode, as a unit runs it (durability 'normal' keeps the suite fast; the
// fsync policy does not change results).
const dir = mkdtempSync(join(tmpdir(), 'sextant-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
describeCountStoreConformance('sqlite file (WAL)', async (options) =>
  open({ path: join(dir, `counts-${n++}.db`), durability: 'normal', ...options }),
);

// A cache of two hour rows forces evictions on nearly every read: results must not change.
describeCountStoreConformance('sqlite :memory: with a 2-entry cache', async (options) =>
  open({ path: ':memory:', cacheHours: 2, ...options }),
);

// 16 entries: eviction sweeps keep the entries read since the previous sweep, and writes
// correct the survivors: results must not change either.
describeCountStoreConformance('sqlite :memory: with a 16-entry cache', async (options) =>
  open({ path: ':memory:', cacheHours: 16, ...options }),
);
