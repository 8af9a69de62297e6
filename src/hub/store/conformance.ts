/**
 * The `HubStore` conformance suite: SQLite and PostgreSQL run it, so both drivers answer
 * every question the same way. Test-only: import it from a driver's test, never from
 * production code. Every test opens a fresh, empty store and closes it.
 *
 * @example describeHubStoreConformance('sqlite :memory:', () => openHubStore({ sqlitePath: ':memory:' }))
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AlertRecord,
  type CatalogRecord,
  type CountsRecord,
  canonicalChecksum,
  recordKey,
  resolveRecords,
  type SloStatusRecord,
  type SyncRecord,
} from '../../sync/index.ts';
import { MIGRATIONS, migrate } from './migrations.ts';
import { openSqlHubStore, SqlHubStore } from './sql-store.ts';
import type {
  ApplyReport,
  AuditEntry,
  Credential,
  HubStore,
  SliTotals,
  SqlDriver,
  StoredCatalog,
  StoredSession,
  UnknownRecord,
} from './types.ts';

/** 2026-11-01T00:00Z as an epoch minute: day-aligned, so offsets read as clock times. */
const T0 = Date.UTC(2026, 10, 1) / 60_000;
const HOUR = 60;
const DAY = 1440;
/** Pushes are stamped a day after T0: everything at T0 is well inside the retention. */
const AT_MS = (T0 + DAY) * 60_000;

const AVAILABILITY = 'checkout/availability';
const LATENCY = 'search/latency';

function counts(
  seq: number,
  startMinute: number,
  minutes: number,
  good: number,
  total: number,
  series: { sli?: string; labels?: Record<string, string> } = {},
): CountsRecord {
  return {
    kind: 'counts',
    seq,
    sli: series.sli ?? AVAILABILITY,
    labels: series.labels ?? { route: '/pay' },
    startMinute,
    minutes,
    good,
    total,
  };
}

function status(seq: number, slo: string, good: number, total: number): SloStatusRecord {
  return {
    kind: 'slo_status',
    seq,
    slo,
    status: {
      atMs: AT_MS,
      objectiveRatio: 0.999,
      windowMinutes: 28 * DAY,
      good,
      total,
      sliRatio: total === 0 ? null : good / total,
      budgetRemainingRatio: null,
      burnRates: [{ window: '1h', windowMinutes: 60, rate: 2 }],
      firing: [],
    },
  };
}

function alert(seq: number, slo: string, name: string, state: AlertRecord['state']): AlertRecord {
  return { kind: 'alert', seq, slo, alert: name, state, sinceMs: AT_MS, severity: 'page' };
}

function catalog(seq: number, version: string): CatalogRecord {
  return { kind: 'catalog', seq, version, source: 'hub' };
}

type Push = { afterSeq: number; throughSeq: number; records: readonly (SyncRecord | UnknownRecord)[] };

async function pushOk(store: HubStore, unitId: string, push: Push, atMs = AT_MS): Promise<ApplyReport> {
  const outcome = await store.applyPush(unitId, push, atMs);
  if (!outcome.ok) assert.fail(`push refused with a gap at ${outcome.gap.ackedSeq}`);
  return outcome.value;
}

/** Pushes count records whose seqs run on from the unit's mark without a gap. */
async function pushCounts(store: HubStore, unitId: string, ...records: CountsRecord[]): Promise<ApplyReport> {
  return pushOk(store, unitId, { afterSeq: records[0]!.seq - 1, throughSeq: records.at(-1)!.seq, records });
}

async function addUnit(store: HubStore, id: string, tenant = 'acme'): Promise<void> {
  const created = await store.createUnit({ id, tenant, environment: 'prod' }, AT_MS);
  assert.equal(created.ok, true);
}

function byPair(a: SliTotals, b: SliTotals): number {
  return a.unitId < b.unitId ? -1 : a.unitId > b.unitId ? 1 : a.sli < b.sli ? -1 : a.sli > b.sli ? 1 : 0;
}

async function totals(
  store: HubStore,
  unitIds: readonly string[],
  fromMinute: number,
  toMinute: number,
  slis?: readonly string[],
): Promise<SliTotals[]> {
  const query = { unitIds, fromMinute, toMinute, ...(slis === undefined ? {} : { slis }) };
  return (await store.sliTotals(query)).sort(byPair);
}

/** Good and total of one unit's SLI over a window, `[0, 0]` when the store has no entry. */
async function window(
  store: HubStore,
  unitId: string,
  fromMinute: number,
  toMinute: number,
  sli = AVAILABILITY,
): Promise<[number, number]> {
  const found = (await totals(store, [unitId], fromMinute, toMinute)).find((t) => t.sli === sli);
  return found === undefined ? [0, 0] : [found.good, found.total];
}

/**
 * A driver over `driver` (not closing it) that counts statements and runs `before` once,
 * ahead of the first statement `when` picks: a way to land a push between two statements
 * of a read.
 */
function watchedDriver(driver: SqlDriver): {
  driver: SqlDriver;
  statements: string[];
  beforeNext(when: (sql: string) => boolean, before: () => Promise<void>): void;
} {
  const statements: string[] = [];
  let hook: { when: (sql: string) => boolean; before: () => Promise<void> } | undefined;
  const watch = async (sql: string) => {
    statements.push(sql);
    if (hook?.when(sql)) {
      const { before } = hook;
      hook = undefined;
      await before();
    }
  };
  return {
    statements,
    beforeNext: (when, before) => {
      hook = { when, before };
    },
    driver: {
      dialect: driver.dialect,
      query: async (sql, params) => {
        await watch(sql);
        return driver.query(sql, params);
      },
      run: async (sql, params) => {
        await watch(sql);
        return driver.run(sql, params);
      },
      exec: (sql) => driver.exec(sql),
      transaction: (work) => driver.transaction(work),
      close: async () => {},
    },
  };
}

/**
 * Declares the suite. `open` must give a new, empty store each time; the suite closes it.
 */
export function describeHubStoreConformance(name: string, open: () => Promise<HubStore>): void {
  /** Runs `body` on a fresh store and closes the store whatever happens. */
  const withStore = (body: (store: HubStore) => Promise<void>) => async () => {
    const store = await open();
    try {
      await body(store);
    } finally {
      await store.close();
    }
  };

  describe(`hub store conformance: ${name}`, () => {
    describe('units', () => {
      it(
        'a unit is registered once: a second registration with its id is refused',
        withStore(async (store) => {
          const created = await store.createUnit(
            { id: 'edge-1', tenant: 'acme', environment: 'prod', productLine: 'payments' },
            AT_MS,
          );
          const expected = {
            id: 'edge-1',
            tenant: 'acme',
            environment: 'prod',
            productLine: 'payments',
            createdAtMs: AT_MS,
            ackedSeq: 0,
            lastPushAtMs: null,
            catalogVersion: null,
          };
          assert.deepEqual(created, { ok: true, value: expected });
          assert.deepEqual(await store.getUnit('edge-1'), expected);
          const again = await store.createUnit({ id: 'edge-1', tenant: 'other', environment: 'dev' }, AT_MS);
          assert.equal(again.ok, false);
          assert.equal((await store.getUnit('edge-1'))?.tenant, 'acme');
          assert.equal(await store.getUnit('edge-2'), undefined);
        }),
      );

      it(
        'tenant patterns select units by exact name, by * wildcards and all with *, ordered by id',
        withStore(async (store) => {
          await addUnit(store, 'u-b', 'acme');
          await addUnit(store, 'u-a', 'dedicated-x');
          await addUnit(store, 'u-c', 'dedicated-y');
          await addUnit(store, 'u-d', 'other');
          await addUnit(store, 'u-e', 'acme-eu');
          const ids = async (patterns: string[]) => (await store.listUnits(patterns)).map((u) => u.id);
          assert.deepEqual(await ids(['acme']), ['u-b']);
          assert.deepEqual(await ids(['dedicated-*']), ['u-a', 'u-c']);
          assert.deepEqual(await ids(['*']), ['u-a', 'u-b', 'u-c', 'u-d', 'u-e']);
          assert.deepEqual(await ids(['other', 'acme']), ['u-b', 'u-d']);
          assert.deepEqual(await ids(['*-eu']), ['u-e']);
          // a…e…u: "acme-eu" fits, "acme" does not end with u.
          assert.deepEqual(await ids(['a*e*u']), ['u-e']);
          // Not a regular expression: "." is a dot, and no tenant starts with one.
          assert.deepEqual(await ids(['.*']), []);
          assert.deepEqual(await ids([]), []);
        }),
      );
    });

    describe('credentials', () => {
      const unitToken: Credential = {
        id: 'cred-unit',
        kind: 'unit',
        unitId: 'edge-1',
        name: 'edge-1 push token',
        secretSha256: 'a'.repeat(64),
        createdAtMs: 1_000,
        expiresAtMs: null,
        revokedAtMs: null,
      };
      const apiToken: Credential = {
        id: 'cred-api',
        kind: 'api',
        role: 'responder',
        tenants: ['acme', 'dedicated-*'],
        name: 'on-call bot',
        secretSha256: 'b'.repeat(64),
        createdAtMs: 2_000,
        expiresAtMs: 9_000,
        revokedAtMs: null,
      };

      it(
        'a credential is found by the hash of its secret and listed; an unknown hash finds nothing',
        withStore(async (store) => {
          await store.putCredential(unitToken);
          await store.putCredential(apiToken);
          assert.deepEqual(await store.findCredentialBySecretHash('a'.repeat(64)), unitToken);
          assert.deepEqual(await store.findCredentialBySecretHash('b'.repeat(64)), apiToken);
          assert.equal(await store.findCredentialBySecretHash('c'.repeat(64)), undefined);
          assert.deepEqual(await store.listCredentials(), [unitToken, apiToken]);
        }),
      );

      it(
        'putting a credential with a known id replaces it',
        withStore(async (store) => {
          await store.putCredential(apiToken);
          const renamed: Credential = { ...apiToken, name: 'renamed', tenants: ['*'] };
          await store.putCredential(renamed);
          assert.deepEqual(await store.listCredentials(), [renamed]);
        }),
      );

      it(
        'revoking marks the credential once; revoking an unknown id answers false',
        withStore(async (store) => {
          await store.putCredential(unitToken);
          assert.equal(await store.revokeCredential('cred-unit', 5_000), true);
          assert.equal((await store.findCredentialBySecretHash('a'.repeat(64)))?.revokedAtMs, 5_000);
          // A second revocation keeps the first time.
          assert.equal(await store.revokeCredential('cred-unit', 6_000), true);
          assert.equal((await store.findCredentialBySecretHash('a'.repeat(64)))?.revokedAtMs, 5_000);
          assert.equal(await store.revokeCredential('cred-none', 5_000), false);
        }),
      );
    });

    describe('portal sessions', () => {
      const HOUR_MS = 3_600_000;
      const owner = (id: string, secret: string, fields: Partial<Credential> = {}): Credential =>
        ({
          id,
          kind: 'api',
          role: 'viewer',
          tenants: ['acme'],
          name: `${id} token`,
          secretSha256: secret.repeat(64),
          createdAtMs: 1_000,
          expiresAtMs: null,
          revokedAtMs: null,
          ...fields,
        }) as Credential;
      const alice = owner('cred-alice', 'a');
      const bob = owner('cred-bob', 'b');
      /** A session of `credential` opened at `createdAtMs`, living `ttlMs`; its id hash starts with `key`. */
      const session = (key: string, credential: Credential, createdAtMs: number, ttlMs = HOUR_MS) => ({
        idSha256: key.padEnd(64, '0'),
        credentialId: credential.id,
        secretSha256: credential.secretSha256,
        csrfSha256: key.padEnd(64, 'c'),
        createdAtMs,
        expiresAtMs: createdAtMs + ttlMs,
      });
      const MAX = { maxPerToken: 10 };
      const open = async (store: HubStore, stored: StoredSession, options = MAX) =>
        assert.deepEqual(await store.openSession(stored, options), { ok: true, value: { dropped: 0 } });

      it(
        'a session is found by the hash of its id with its credential until it expires, and ends once',
        withStore(async (store) => {
          await store.putCredential(alice);
          const s1 = session('1', alice, AT_MS);
          await open(store, s1);
          assert.deepEqual(await store.getSession(s1.idSha256, AT_MS), { session: s1, credential: alice });
          assert.deepEqual(await store.getSession(s1.idSha256, s1.expiresAtMs - 1), {
            session: s1,
            credential: alice,
          });
          // Expired at expiresAtMs exactly, like tokens.
          assert.equal(await store.getSession(s1.idSha256, s1.expiresAtMs), undefined);
          assert.equal(await store.getSession('f'.repeat(64), AT_MS), undefined);
          assert.equal(await store.deleteSession(s1.idSha256), true);
          assert.equal(await store.getSession(s1.idSha256, AT_MS), undefined);
          assert.equal(await store.deleteSession(s1.idSha256), false);
        }),
      );

      it(
        'expired sessions are neither returned nor counted, and a sweep deletes exactly those',
        withStore(async (store) => {
          await store.putCredential(alice);
          await store.putCredential(bob);
          const short = session('1', alice, AT_MS, HOUR_MS);
          const long = session('2', alice, AT_MS, 3 * HOUR_MS);
          const bobs = session('3', bob, AT_MS, 2 * HOUR_MS);
          for (const s of [short, long, bobs]) await open(store, s);
          assert.equal(await store.countSessions(AT_MS), 3);
          // 90 minutes on: the one-hour session is over, the others are not.
          const later = AT_MS + 1.5 * HOUR_MS;
          assert.equal(await store.countSessions(later), 2);
          assert.equal(await store.getSession(short.idSha256, later), undefined);
          assert.equal(await store.sweepSessions(later), 1);
          assert.equal(await store.sweepSessions(later), 0);
          // The swept row is gone even for a reader at an earlier time.
          assert.equal(await store.getSession(short.idSha256, AT_MS), undefined);
          assert.equal((await store.getSession(long.idSha256, later))?.session.idSha256, long.idSha256);
          assert.equal((await store.getSession(bobs.idSha256, later))?.credential.id, bob.id);
          assert.equal(await store.sweepSessions(AT_MS + 3 * HOUR_MS), 2);
          assert.equal(await store.countSessions(AT_MS), 0);
        }),
      );

      it(
        "revoking a credential ends its sessions and no new one opens; other credentials' sessions stay",
        withStore(async (store) => {
          await store.putCredential(alice);
          await store.putCredential(bob);
          const a1 = session('1', alice, AT_MS);
          const a2 = session('2', alice, AT_MS);
          const b1 = session('3', bob, AT_MS);
          for (const s of [a1, a2, b1]) await open(store, s);
          assert.equal(await store.revokeCredential(alice.id, AT_MS + 1), true);
          assert.equal(await store.getSession(a1.idSha256, AT_MS + 2), undefined);
          assert.equal(await store.getSession(a2.idSha256, AT_MS + 2), undefined);
          assert.equal(await store.countSessions(AT_MS + 2), 1);
          assert.equal((await store.getSession(b1.idSha256, AT_MS + 2))?.credential.id, bob.id);
          assert.deepEqual(await store.openSession(session('4', alice, AT_MS + 2), MAX), {
            ok: false,
            reason: 'revoked',
          });
          assert.deepEqual(await store.openSession(session('5', owner('cred-none', 'e'), AT_MS), MAX), {
            ok: false,
            reason: 'unknown',
          });
          assert.equal(await store.countSessions(AT_MS + 2), 1);
        }),
      );

      it(
        "a token keeps at most maxPerToken live sessions: its expired ones go first, then its oldest, never another token's",
        withStore(async (store) => {
          await store.putCredential(alice);
          await store.putCredential(bob);
          const cap = { maxPerToken: 2 };
          // Over at AT_MS + 2, when `newer` opens.
          const expired = session('1', alice, AT_MS, 2);
          const oldest = session('2', alice, AT_MS + 1);
          const newer = session('3', alice, AT_MS + 2);
          const bobs = session('4', bob, AT_MS);
          for (const s of [expired, oldest, bobs]) await open(store, s, cap);
          // Alice holds two rows, one of them expired: the new one takes its place, none live ends.
          await open(store, newer, cap);
          assert.ok(await store.getSession(oldest.idSha256, AT_MS + 3));
          assert.equal(await store.getSession(expired.idSha256, AT_MS), undefined);
          // Now two live sessions: a third ends the oldest of them.
          const newest = session('5', alice, AT_MS + 3);
          assert.deepEqual(await store.openSession(newest, cap), { ok: true, value: { dropped: 1 } });
          assert.equal(await store.getSession(oldest.idSha256, AT_MS + 4), undefined);
          assert.ok(await store.getSession(newer.idSha256, AT_MS + 4));
          assert.ok(await store.getSession(newest.idSha256, AT_MS + 4));
          assert.ok(await store.getSession(bobs.idSha256, AT_MS + 4));
          assert.equal(await store.countSessions(AT_MS + 4), 3);
          // With a cap of one, every login ends the token's previous session.
          const only = session('6', alice, AT_MS + 5);
          assert.deepEqual(await store.openSession(only, { maxPerToken: 1 }), {
            ok: true,
            value: { dropped: 2 },
          });
          assert.equal(await store.countSessions(AT_MS + 6), 2);
        }),
      );

      it(
        'a session opened through one store is seen, and ended, through another on the same database',
        withStore(async (store) => {
          if (!(store instanceof SqlHubStore)) return;
          // A second store over the same database (not closed: it shares the first one's driver).
          const other = await openSqlHubStore(store.driver);
          await store.putCredential(alice);
          const s1 = session('1', alice, AT_MS);
          await open(store, s1);
          assert.deepEqual(await other.getSession(s1.idSha256, AT_MS), { session: s1, credential: alice });
          assert.equal(await other.countSessions(AT_MS), 1);
          assert.equal(await other.revokeCredential(alice.id, AT_MS + 1), true);
          assert.equal(await store.getSession(s1.idSha256, AT_MS + 2), undefined);
        }),
      );
    });

    describe('applyPush', () => {
      it(
        'a push stores its records and acknowledges throughSeq',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          const report = await pushOk(store, 'edge-1', {
            afterSeq: 0,
            throughSeq: 3,
            records: [
              counts(1, T0, 5, 9, 10),
              counts(2, T0 + 5, 5, 4, 5),
              status(3, 'checkout/avail-999', 13, 15),
            ],
          });
          assert.deepEqual(report, { ackedSeq: 3, applied: 3, superseded: 0, ignored: 0 });
          const unit = await store.getUnit('edge-1');
          assert.equal(unit?.ackedSeq, 3);
          assert.equal(unit?.lastPushAtMs, AT_MS);
          // 9 + 4 good of 10 + 5.
          assert.deepEqual(await window(store, 'edge-1', T0, T0 + HOUR), [13, 15]);
        }),
      );

      it(
        'a replayed push changes nothing and counts every record as superseded',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          const push: Push = {
            afterSeq: 0,
            throughSeq: 3,
            records: [
              counts(1, T0, 5, 9, 10),
              counts(2, T0 + 5, 5, 4, 5),
              alert(3, 'checkout/a-999', 'page', 'firing'),
            ],
          };
          await pushOk(store, 'edge-1', push);
          const checksum = await store.checksum('edge-1');
          const report = await pushOk(store, 'edge-1', push);
          assert.deepEqual(report, { ackedSeq: 3, applied: 0, superseded: 3, ignored: 0 });
          assert.equal(await store.checksum('edge-1'), checksum);
          assert.deepEqual(await window(store, 'edge-1', T0, T0 + HOUR), [13, 15]);
        }),
      );

      it(
        'a record twice in one push is applied once and superseded once',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          const record = counts(1, T0, 5, 9, 10);
          const report = await pushOk(store, 'edge-1', {
            afterSeq: 0,
            throughSeq: 1,
            records: [record, record],
          });
          assert.deepEqual(report, { ackedSeq: 1, applied: 1, superseded: 1, ignored: 0 });
          assert.deepEqual(await window(store, 'edge-1', T0, T0 + 5), [9, 10]);
        }),
      );

      it(
        'records arriving out of order keep the highest version of each key',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          // Inside one push, the newer version first.
          const first = await pushOk(store, 'edge-1', {
            afterSeq: 0,
            throughSeq: 7,
            records: [counts(7, T0, 5, 3, 4), counts(6, T0, 5, 1, 4), status(5, 'checkout/a-999', 3, 4)],
          });
          assert.deepEqual(first, { ackedSeq: 7, applied: 2, superseded: 1, ignored: 0 });
          // An older push arriving late (afterSeq below the mark is accepted) loses on both keys.
          const late = await pushOk(store, 'edge-1', {
            afterSeq: 0,
            throughSeq: 4,
            records: [counts(2, T0, 5, 0, 4), status(3, 'checkout/a-999', 0, 4)],
          });
          assert.deepEqual(late, { ackedSeq: 7, applied: 0, superseded: 2, ignored: 0 });
          assert.deepEqual(await window(store, 'edge-1', T0, T0 + 5), [3, 4]);
          const [stored] = await store.records({ unitIds: ['edge-1'], kinds: ['slo_status'] });
          assert.equal(stored?.version, 5);
        }),
      );

      it(
        'a push whose afterSeq is above the mark is refused with the mark and changes nothing',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await pushOk(store, 'edge-1', { afterSeq: 0, throughSeq: 3, records: [counts(3, T0, 5, 1, 1)] });
          const checksum = await store.checksum('edge-1');
          const outcome = await store.applyPush(
            'edge-1',
            { afterSeq: 5, throughSeq: 8, records: [counts(8, T0 + 5, 5, 2, 2), catalog(7, 'sha256:x')] },
            AT_MS + 1,
          );
          assert.deepEqual(outcome, { ok: false, gap: { ackedSeq: 3 } });
          const unit = await store.getUnit('edge-1');
          assert.equal(unit?.ackedSeq, 3);
          assert.equal(unit?.lastPushAtMs, AT_MS);
          assert.equal(unit?.catalogVersion, null);
          assert.equal(await store.checksum('edge-1'), checksum);
        }),
      );

      it(
        'the mark never moves back: a push through a lower seq leaves it',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await pushOk(store, 'edge-1', { afterSeq: 0, throughSeq: 9, records: [] });
          const report = await pushOk(store, 'edge-1', { afterSeq: 2, throughSeq: 4, records: [] });
          assert.equal(report.ackedSeq, 9);
          assert.equal((await store.getUnit('edge-1'))?.ackedSeq, 9);
        }),
      );

      it(
        'records of unknown kinds are ignored and counted, and the mark still moves',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          const report = await pushOk(store, 'edge-1', {
            afterSeq: 0,
            throughSeq: 2,
            records: [{ kind: 'unknown', seq: 1 }, counts(2, T0, 5, 1, 2)],
          });
          assert.deepEqual(report, { ackedSeq: 2, applied: 1, superseded: 0, ignored: 1 });
          assert.equal(await store.checksum('edge-1'), canonicalChecksum([counts(2, T0, 5, 1, 2)]));
        }),
      );

      it(
        'counts older than the detail retention are ignored',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          // Stamped at T0 + 1 day; 36 days before T0 is past the 35-day detail retention.
          const report = await pushCounts(store, 'edge-1', counts(1, T0 - 36 * DAY, 5, 1, 1));
          assert.deepEqual(report, { ackedSeq: 1, applied: 0, superseded: 0, ignored: 1 });
          assert.deepEqual(await totals(store, ['edge-1'], T0 - 40 * DAY, T0), []);
        }),
      );

      it(
        'a catalog record sets the version the unit runs',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await pushOk(store, 'edge-1', { afterSeq: 0, throughSeq: 2, records: [catalog(2, 'sha256:new')] });
          await pushOk(store, 'edge-1', { afterSeq: 0, throughSeq: 1, records: [catalog(1, 'sha256:old')] });
          assert.equal((await store.getUnit('edge-1'))?.catalogVersion, 'sha256:new');
        }),
      );

      it(
        'concurrent pushes of one unit and of two units all apply exactly once',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await addUnit(store, 'edge-2');
          const reports = await Promise.all([
            pushOk(store, 'edge-1', { afterSeq: 0, throughSeq: 1, records: [counts(1, T0, 5, 1, 2)] }),
            pushOk(store, 'edge-1', { afterSeq: 0, throughSeq: 2, records: [counts(2, T0 + 5, 5, 3, 4)] }),
            pushOk(store, 'edge-2', { afterSeq: 0, throughSeq: 1, records: [counts(1, T0, 5, 5, 6)] }),
          ]);
          assert.deepEqual(
            reports.map((r) => r.applied),
            [1, 1, 1],
          );
          assert.equal((await store.getUnit('edge-1'))?.ackedSeq, 2);
          // edge-1: 1 + 3 good of 2 + 4; edge-2: 5 of 6.
          assert.deepEqual(await totals(store, ['edge-1', 'edge-2'], T0, T0 + HOUR), [
            { unitId: 'edge-1', sli: AVAILABILITY, good: 4, total: 6 },
            { unitId: 'edge-2', sli: AVAILABILITY, good: 5, total: 6 },
          ]);
        }),
      );
    });

    describe('rolled-up hours', () => {
      const H = T0 + 2 * HOUR;
      // Twelve 5-minute records in hour H, seq 1..12, each 1 good of 2.
      const finer = Array.from({ length: 12 }, (_, i) => counts(i + 1, H + 5 * i, 5, 1, 2));
      const hour = counts(20, H, 60, 50, 60);

      it(
        'an hour record replaces the finer records inside it',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await pushOk(store, 'edge-1', { afterSeq: 0, throughSeq: 12, records: finer });
          // 12 records x (1 good, 2 total).
          assert.deepEqual(await window(store, 'edge-1', H, H + HOUR), [12, 24]);
          const report = await pushOk(store, 'edge-1', { afterSeq: 12, throughSeq: 20, records: [hour] });
          assert.deepEqual(report, { ackedSeq: 20, applied: 1, superseded: 0, ignored: 0 });
          assert.deepEqual(await window(store, 'edge-1', H, H + HOUR), [50, 60]);
          assert.equal(await store.checksum('edge-1'), canonicalChecksum([hour]));
        }),
      );

      it(
        'the hour arriving first wins over the older finer records arriving after it',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await pushOk(store, 'edge-1', { afterSeq: 0, throughSeq: 20, records: [hour] });
          const report = await pushOk(store, 'edge-1', { afterSeq: 0, throughSeq: 12, records: finer });
          assert.deepEqual(report, { ackedSeq: 20, applied: 0, superseded: 12, ignored: 0 });
          assert.deepEqual(await window(store, 'edge-1', H, H + HOUR), [50, 60]);
          assert.equal(await store.checksum('edge-1'), canonicalChecksum([hour]));
        }),
      );

      it(
        'a stale finer record arriving after the hour is superseded',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await pushOk(store, 'edge-1', { afterSeq: 0, throughSeq: 20, records: [...finer, hour] });
          // seq 7 is the record at H+30, older than the hour's 20.
          const stale = counts(7, H + 30, 5, 2, 2);
          const report = await pushOk(store, 'edge-1', { afterSeq: 0, throughSeq: 7, records: [stale] });
          assert.deepEqual(report, { ackedSeq: 20, applied: 0, superseded: 1, ignored: 0 });
          assert.deepEqual(await window(store, 'edge-1', H, H + HOUR), [50, 60]);
        }),
      );

      it(
        'a newer finer record inside the hour hides it, and the finer records it hid come back',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await pushOk(store, 'edge-1', { afterSeq: 0, throughSeq: 20, records: [...finer, hour] });
          const newer = counts(30, H + 30, 5, 5, 5);
          const report = await pushOk(store, 'edge-1', { afterSeq: 20, throughSeq: 30, records: [newer] });
          assert.deepEqual(report, { ackedSeq: 30, applied: 1, superseded: 0, ignored: 0 });
          // resolveRecords: the hour shares its key (start H) with the finer seq 1, which it
          // replaced; seq 30 replaced seq 7 at H+30. Seq 30 is kept, the hour overlaps it and
          // goes, and the ten finer records left (H+5 .. H+55 but H+30) overlap nothing kept:
          // 10 x (1, 2) + (5, 5) = (15, 25).
          assert.deepEqual(await window(store, 'edge-1', H, H + HOUR), [15, 25]);
          const all = [...finer, hour, newer];
          assert.equal(await store.checksum('edge-1'), canonicalChecksum(resolveRecords(all)));
        }),
      );

      it(
        'an hour replaced at its start by a newer 5-minute record no longer hides the finer records',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await pushOk(store, 'edge-1', { afterSeq: 0, throughSeq: 20, records: [...finer, hour] });
          const shorter = counts(30, H, 5, 5, 5);
          const report = await pushOk(store, 'edge-1', { afterSeq: 20, throughSeq: 30, records: [shorter] });
          assert.deepEqual(report, { ackedSeq: 30, applied: 1, superseded: 0, ignored: 0 });
          // Key H now holds seq 30, [H, H+5); the eleven finer records at H+5 .. H+55 overlap
          // it not and come back: 11 x (1, 2) + (5, 5) = (16, 27).
          assert.deepEqual(await window(store, 'edge-1', H, H + HOUR), [16, 27]);
          const all = [...finer, hour, shorter];
          assert.equal(await store.checksum('edge-1'), canonicalChecksum(resolveRecords(all)));
        }),
      );
    });

    describe('sliTotals', () => {
      it(
        'totals sum the label series of each (unit, SLI) over the window, only for the units asked',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await addUnit(store, 'edge-2');
          await addUnit(store, 'edge-3');
          await pushOk(store, 'edge-1', {
            afterSeq: 0,
            throughSeq: 4,
            records: [
              counts(1, T0, 5, 9, 10, { labels: { route: '/pay' } }),
              counts(2, T0, 5, 20, 20, { labels: { route: '/cart' } }),
              counts(3, T0 + 5, 5, 7, 8, { sli: LATENCY, labels: {} }),
              // Outside [T0, T0 + 30).
              counts(4, T0 + 30, 5, 100, 100),
            ],
          });
          await pushCounts(store, 'edge-2', counts(1, T0 + 10, 5, 1, 3));
          await pushCounts(store, 'edge-3', counts(1, T0, 5, 50, 50));
          // edge-1 availability: 9 + 20 good of 10 + 20; latency 7 of 8; edge-2 1 of 3; edge-3 not asked.
          assert.deepEqual(await totals(store, ['edge-1', 'edge-2'], T0, T0 + 30), [
            { unitId: 'edge-1', sli: AVAILABILITY, good: 29, total: 30 },
            { unitId: 'edge-1', sli: LATENCY, good: 7, total: 8 },
            { unitId: 'edge-2', sli: AVAILABILITY, good: 1, total: 3 },
          ]);
          assert.deepEqual(await totals(store, ['edge-1', 'edge-2'], T0, T0 + 30, [LATENCY]), [
            { unitId: 'edge-1', sli: LATENCY, good: 7, total: 8 },
          ]);
          // No unit, no SLI, or a window without data: no entries.
          assert.deepEqual(await totals(store, [], T0, T0 + 30), []);
          assert.deepEqual(await totals(store, ['edge-1'], T0, T0 + 30, []), []);
          assert.deepEqual(await totals(store, ['edge-1', 'edge-2'], T0 + HOUR, T0 + 2 * HOUR), []);
          assert.deepEqual(await totals(store, ['edge-9'], T0, T0 + 30), []);
        }),
      );

      it(
        'a late bucket before existing ones moves every later prefix, and windows stay exact',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await pushCounts(store, 'edge-1', counts(1, T0 + 10, 5, 1, 2), counts(2, T0 + 20, 5, 3, 4));
          assert.deepEqual(await window(store, 'edge-1', T0, T0 + 30), [4, 6]);
          await pushCounts(store, 'edge-1', counts(3, T0, 5, 10, 10));
          // [T0, T0+30): 10 + 1 + 3 good of 10 + 2 + 4.
          assert.deepEqual(await window(store, 'edge-1', T0, T0 + 30), [14, 16]);
          // Windows after the late bucket are unchanged: both prefixes moved by (10, 10).
          assert.deepEqual(await window(store, 'edge-1', T0 + 15, T0 + 30), [3, 4]);
          assert.deepEqual(await window(store, 'edge-1', T0 + 5, T0 + 15), [1, 2]);
          assert.deepEqual(await window(store, 'edge-1', T0, T0 + 5), [10, 10]);
          // A new version of the middle bucket (1, 2) -> (2, 2): later prefixes move by (1, 0).
          await pushCounts(store, 'edge-1', counts(4, T0 + 10, 5, 2, 2));
          assert.deepEqual(await window(store, 'edge-1', T0, T0 + 30), [15, 16]);
          assert.deepEqual(await window(store, 'edge-1', T0 + 15, T0 + 30), [3, 4]);
          assert.deepEqual(await window(store, 'edge-1', T0 + 10, T0 + 15), [2, 2]);
        }),
      );

      it(
        'several buckets of one push, new and existing, out of order, give exact prefixes',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await pushCounts(store, 'edge-1', counts(1, T0 + 10, 5, 1, 1), counts(2, T0 + 30, 5, 2, 2));
          await pushOk(store, 'edge-1', {
            afterSeq: 2,
            throughSeq: 6,
            records: [
              counts(3, T0 + 40, 5, 40, 40),
              counts(4, T0 + 20, 5, 20, 20),
              counts(5, T0 + 10, 5, 10, 10),
              counts(6, T0, 5, 100, 100),
            ],
          });
          // Buckets now: T0 100, +10 10, +20 20, +30 2, +40 40.
          assert.deepEqual(await window(store, 'edge-1', T0, T0 + 50), [172, 172]);
          assert.deepEqual(await window(store, 'edge-1', T0 + 5, T0 + 25), [30, 30]);
          assert.deepEqual(await window(store, 'edge-1', T0 + 25, T0 + 35), [2, 2]);
          assert.deepEqual(await window(store, 'edge-1', T0 + 35, T0 + 45), [40, 40]);
        }),
      );

      it(
        'a boundary inside a step falls at the step start',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await pushCounts(store, 'edge-1', counts(1, T0, 5, 1, 1), counts(2, T0 + 10, 5, 2, 2));
          // [T0+3, T0+12) with 5-minute steps is [T0, T0+10): the first bucket only.
          assert.equal(store.stepMinutes, 5);
          assert.deepEqual(await window(store, 'edge-1', T0 + 3, T0 + 12), [1, 1]);
          // [T0+1, T0+4) rounds to the empty [T0, T0).
          assert.deepEqual(await window(store, 'edge-1', T0 + 1, T0 + 4), [0, 0]);
        }),
      );
    });

    describe('sliWindowTotals and cached prefixes', () => {
      // Buckets at T0 (1 of 2), T0+10 (3 of 4) and T0+20 (5 of 6), the newest.
      async function seedThree(store: HubStore): Promise<void> {
        await addUnit(store, 'edge-1');
        await pushCounts(
          store,
          'edge-1',
          counts(1, T0, 5, 1, 2),
          counts(2, T0 + 10, 5, 3, 4),
          counts(3, T0 + 20, 5, 5, 6),
        );
      }

      it(
        'several windows in one read answer as one read each, in the order asked',
        withStore(async (store) => {
          await seedThree(store);
          await addUnit(store, 'edge-2');
          await pushCounts(store, 'edge-2', counts(1, T0 + 5, 5, 7, 7));
          const windows = [
            { fromMinute: T0, toMinute: T0 + 30 },
            { fromMinute: T0 + 5, toMinute: T0 + 20 },
            // Empty and inverted windows have no entries.
            { fromMinute: T0 + 10, toMinute: T0 + 10 },
            { fromMinute: T0 + 20, toMinute: T0 },
            { fromMinute: T0 + 20, toMinute: T0 + 30 },
          ];
          const together = await store.sliWindowTotals({ unitIds: ['edge-1', 'edge-2'], windows });
          const apart = [];
          for (const w of windows)
            apart.push(await totals(store, ['edge-1', 'edge-2'], w.fromMinute, w.toMinute));
          assert.deepEqual(
            together.map((list) => [...list].sort(byPair)),
            apart,
          );
          assert.deepEqual(apart, [
            [
              { unitId: 'edge-1', sli: AVAILABILITY, good: 9, total: 12 },
              { unitId: 'edge-2', sli: AVAILABILITY, good: 7, total: 7 },
            ],
            [
              { unitId: 'edge-1', sli: AVAILABILITY, good: 3, total: 4 },
              { unitId: 'edge-2', sli: AVAILABILITY, good: 7, total: 7 },
            ],
            [],
            [],
            [{ unitId: 'edge-1', sli: AVAILABILITY, good: 5, total: 6 }],
          ]);
          assert.deepEqual(await store.sliWindowTotals({ unitIds: [], windows }), [[], [], [], [], []]);
          assert.deepEqual(await store.sliWindowTotals({ unitIds: ['edge-1'], windows: [] }), []);
        }),
      );

      it(
        'a window ending at the newest bucket leaves it out, whatever new versions it gets',
        withStore(async (store) => {
          await seedThree(store);
          assert.deepEqual(await window(store, 'edge-1', T0, T0 + 20), [4, 6]);
          assert.deepEqual(await window(store, 'edge-1', T0 + 20, T0 + 25), [5, 6]);
          // The bucket in progress grows: windows ending at it stay, the one over it grows.
          await pushCounts(store, 'edge-1', counts(4, T0 + 20, 5, 9, 10));
          assert.deepEqual(await window(store, 'edge-1', T0, T0 + 20), [4, 6]);
          assert.deepEqual(await window(store, 'edge-1', T0 + 10, T0 + 20), [3, 4]);
          assert.deepEqual(await window(store, 'edge-1', T0, T0 + 25), [13, 16]);
          // The next bucket starts: the window ending at T0+20 still leaves T0+20 out.
          await pushCounts(store, 'edge-1', counts(5, T0 + 25, 5, 1, 1));
          assert.deepEqual(await window(store, 'edge-1', T0, T0 + 20), [4, 6]);
          assert.deepEqual(await window(store, 'edge-1', T0 + 20, T0 + 25), [9, 10]);
          assert.deepEqual(await window(store, 'edge-1', T0, T0 + 30), [14, 17]);
        }),
      );

      it(
        'late data changes the answer of a window read before, before and inside it',
        withStore(async (store) => {
          await seedThree(store);
          // [T0+5, T0+20): the T0+10 bucket; read twice, so the second can come from memory.
          assert.deepEqual(await window(store, 'edge-1', T0 + 5, T0 + 20), [3, 4]);
          assert.deepEqual(await window(store, 'edge-1', T0 + 5, T0 + 20), [3, 4]);
          // A new version of the T0 bucket moves every later prefix: the window is the same.
          await pushCounts(store, 'edge-1', counts(4, T0, 5, 10, 20));
          assert.deepEqual(await window(store, 'edge-1', T0 + 5, T0 + 20), [3, 4]);
          assert.deepEqual(await window(store, 'edge-1', T0, T0 + 20), [13, 24]);
          // A late bucket inside the window, T0+15: (3 + 2) good of (4 + 2).
          await pushCounts(store, 'edge-1', counts(5, T0 + 15, 5, 2, 2));
          assert.deepEqual(await window(store, 'edge-1', T0 + 5, T0 + 20), [5, 6]);
          assert.deepEqual(await window(store, 'edge-1', T0 + 15, T0 + 20), [2, 2]);
          // A late bucket before the window start that did not exist: T0+5 is in [T0+5, ...).
          await pushCounts(store, 'edge-1', counts(6, T0 + 5, 5, 1, 1));
          assert.deepEqual(await window(store, 'edge-1', T0 + 5, T0 + 20), [6, 7]);
          assert.deepEqual(await window(store, 'edge-1', T0 + 10, T0 + 20), [5, 6]);
        }),
      );

      it(
        'late data pushed through another store on the same database changes a window read before',
        withStore(async (store) => {
          if (!(store instanceof SqlHubStore)) return;
          await seedThree(store);
          // A second hub process on the same database: it shares nothing in memory.
          const other = new SqlHubStore(watchedDriver(store.driver).driver);
          assert.deepEqual(await window(store, 'edge-1', T0 + 5, T0 + 30), [8, 10]);
          assert.deepEqual(await window(store, 'edge-1', T0 + 5, T0 + 30), [8, 10]);
          await pushCounts(other, 'edge-1', counts(4, T0 + 10, 5, 0, 4));
          // T0+10 is now 0 of 4: 5 of 10.
          assert.deepEqual(await window(store, 'edge-1', T0 + 5, T0 + 30), [5, 10]);
          assert.deepEqual(await window(other, 'edge-1', T0 + 5, T0 + 30), [5, 10]);
        }),
      );

      it(
        'a repeated window is answered from memory with one statement',
        withStore(async (store) => {
          if (!(store instanceof SqlHubStore)) return;
          await seedThree(store);
          const watched = watchedDriver(store.driver);
          const reader = new SqlHubStore(watched.driver);
          assert.deepEqual(await window(reader, 'edge-1', T0 + 5, T0 + 30), [8, 10]);
          // The pairs, their newest rows and a seek of the start (before the newest bucket).
          assert.equal(watched.statements.length, 1);
          assert.deepEqual(await window(reader, 'edge-1', T0 + 5, T0 + 30), [8, 10]);
          assert.equal(watched.statements.length, 2);
          // A new version of the newest bucket leaves the start where it was.
          await pushCounts(store, 'edge-1', counts(4, T0 + 20, 5, 6, 6));
          watched.statements.length = 0;
          assert.deepEqual(await window(reader, 'edge-1', T0 + 5, T0 + 30), [9, 10]);
          assert.equal(watched.statements.length, 1);
        }),
      );

      it(
        'late data for one unit of many is sought again for that unit alone, also when more lands meanwhile',
        withStore(async (store) => {
          if (!(store instanceof SqlHubStore)) return;
          const ids = ['edge-1', 'edge-2', 'edge-3', 'edge-4', 'edge-5'];
          for (const id of ids) {
            await addUnit(store, id);
            await pushCounts(store, id, counts(1, T0, 5, 1, 1), counts(2, T0 + 20, 5, 2, 2));
          }
          const watched = watchedDriver(store.driver);
          const reader = new SqlHubStore(watched.driver);
          const all = async () =>
            (await totals(reader, ids, T0 + 5, T0 + 30)).map((t) => `${t.unitId} ${t.good}/${t.total}`);
          assert.deepEqual(
            await all(),
            ids.map((id) => `${id} 2/2`),
          );
          // A late bucket inside the window for edge-3 only; while its start is sought, another
          // lands before the window (moving both of its prefixes by 100).
          await pushCounts(store, 'edge-3', counts(3, T0 + 10, 5, 3, 4));
          watched.statements.length = 0;
          watched.beforeNext(
            () => watched.statements.length === 2,
            async () => {
              await pushCounts(store, 'edge-3', counts(4, T0, 5, 100, 100));
            },
          );
          assert.deepEqual(
            await all(),
            ids.map((id) => (id === 'edge-3' ? `${id} 5/6` : `${id} 2/2`)),
          );
          // The pairs, the seek of edge-3's start, and edge-3's prefixes again after the push.
          assert.equal(watched.statements.length, 3);
          assert.deepEqual(await window(reader, 'edge-3', T0, T0 + 30), [105, 106]);
        }),
      );

      it(
        'a prefix read from the newest row is not mixed with one read by a later statement',
        withStore(async (store) => {
          if (!(store instanceof SqlHubStore)) return;
          const ids = ['edge-1', 'edge-2', 'edge-3', 'edge-4', 'edge-5'];
          for (const id of ids) {
            await addUnit(store, id);
            const records =
              id === 'edge-1'
                ? [counts(1, T0, 5, 1, 1)]
                : [counts(1, T0, 5, 1, 1), counts(2, T0 + 20, 5, 2, 2)];
            await pushOk(store, id, { afterSeq: 0, throughSeq: records.length, records });
          }
          const watched = watchedDriver(store.driver);
          const reader = new SqlHubStore(watched.driver);
          const all = async () =>
            (await totals(reader, ids, T0 + 10, T0 + 30)).map((t) => `${t.unitId} ${t.good}/${t.total}`);
          const others = ids.slice(1).map((id) => `${id} 2/2`);
          // edge-1 has nothing in [T0+10, T0+30): its newest row (T0) answers both boundaries.
          assert.deepEqual(await all(), others);
          // New versions of T0 for the others: their kept starts are stale, so the next read
          // seeks T0+10 for all pairs in a second statement; before it, edge-1 gets a bucket
          // at T0+5, still before the window.
          for (const id of ids.slice(1)) {
            await pushCounts(store, id, counts(3, T0, 5, 5, 5));
          }
          watched.statements.length = 0;
          watched.beforeNext(
            () => watched.statements.length === 2,
            async () => {
              await pushCounts(store, 'edge-1', counts(2, T0 + 5, 5, 7, 7));
            },
          );
          assert.deepEqual(await all(), others);
          assert.equal(watched.statements.length, 2);
          assert.deepEqual(await all(), others);
        }),
      );

      it(
        'late data landing between the statements of a read gives one consistent state',
        withStore(async (store) => {
          if (!(store instanceof SqlHubStore)) return;
          await seedThree(store);
          const watched = watchedDriver(store.driver);
          const reader = new SqlHubStore(watched.driver);
          assert.deepEqual(await window(reader, 'edge-1', T0 + 5, T0 + 30), [8, 10]);
          // A new version of T0 (1 of 2 -> 11 of 12): the start kept in memory is stale, so the
          // next read seeks it in a second statement, before which T0 changes again (101 of
          // 102). The window is 8 of 10 throughout; the end read by the first statement
          // (cumulative 19 of 22) with the start read by the second (101 of 102) would give
          // -82 of -80.
          await pushCounts(store, 'edge-1', counts(4, T0, 5, 11, 12));
          watched.statements.length = 0;
          watched.beforeNext(
            () => watched.statements.length === 2,
            async () => {
              await pushCounts(store, 'edge-1', counts(5, T0, 5, 101, 102));
            },
          );
          assert.deepEqual(await window(reader, 'edge-1', T0 + 5, T0 + 30), [8, 10]);
          assert.equal(watched.statements.length, 3);
          assert.deepEqual(await window(reader, 'edge-1', T0, T0 + 30), [109, 112]);
        }),
      );
    });

    describe('sliSeries', () => {
      it(
        'a series sums the units asked per step and leaves out steps without counts',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await addUnit(store, 'edge-2');
          await addUnit(store, 'edge-3');
          await pushOk(store, 'edge-1', {
            afterSeq: 0,
            throughSeq: 4,
            records: [
              counts(1, T0, 5, 1, 2),
              counts(2, T0 + 5, 5, 3, 4),
              counts(3, T0 + 20, 5, 5, 6),
              counts(4, T0 + 5, 5, 9, 9, { sli: LATENCY }),
            ],
          });
          await pushCounts(store, 'edge-2', counts(1, T0 + 5, 5, 10, 10));
          await pushCounts(store, 'edge-3', counts(1, T0, 5, 99, 99));
          const series = (stepMinutes: number, fromMinute: number, toMinute: number) =>
            store.sliSeries({
              unitIds: ['edge-1', 'edge-2'],
              sli: AVAILABILITY,
              fromMinute,
              toMinute,
              stepMinutes,
            });
          // 10-minute steps: [T0, +10) = 1 + 3 + 10 good of 2 + 4 + 10; [+10, +20) empty; [+20, +30) 5 of 6.
          assert.deepEqual(await series(10, T0, T0 + 30), [
            { minute: T0, good: 14, total: 16 },
            { minute: T0 + 20, good: 5, total: 6 },
          ]);
          // 5-minute steps from T0+5: 3 + 10 of 4 + 10, then 5 of 6.
          assert.deepEqual(await series(5, T0 + 5, T0 + 25), [
            { minute: T0 + 5, good: 13, total: 14 },
            { minute: T0 + 20, good: 5, total: 6 },
          ]);
          assert.deepEqual(await series(5, T0 + HOUR, T0 + 2 * HOUR), []);
          // 7 minutes is not a step of the hub: the next one that divides the hour, 10.
          assert.deepEqual(await series(7, T0, T0 + 30), await series(10, T0, T0 + 30));
        }),
      );

      it(
        'day and half-day steps sum the same counts as hour steps',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await addUnit(store, 'edge-2');
          // edge-1: 24 hour records on day 0, 1 good of 2 each; one 5-minute record on day 1.
          const hours = Array.from({ length: 24 }, (_, h) => counts(h + 1, T0 + h * HOUR, 60, 1, 2));
          await pushOk(store, 'edge-1', {
            afterSeq: 0,
            throughSeq: 25,
            records: [...hours, counts(25, T0 + DAY + 30, 5, 5, 5)],
          });
          await pushCounts(store, 'edge-2', counts(1, T0 + 3 * HOUR, 5, 10, 10));
          const series = (stepMinutes: number) =>
            store.sliSeries({
              unitIds: ['edge-1', 'edge-2'],
              sli: AVAILABILITY,
              fromMinute: T0,
              toMinute: T0 + 2 * DAY,
              stepMinutes,
            });
          // Day 0: 24 x (1, 2) + (10, 10) = (34, 58); day 1: (5, 5).
          assert.deepEqual(await series(DAY), [
            { minute: T0, good: 34, total: 58 },
            { minute: T0 + DAY, good: 5, total: 5 },
          ]);
          // Half days: 12 x (1, 2) + (10, 10) = (22, 34), then 12 x (1, 2) = (12, 24), then (5, 5).
          assert.deepEqual(await series(DAY / 2), [
            { minute: T0, good: 22, total: 34 },
            { minute: T0 + DAY / 2, good: 12, total: 24 },
            { minute: T0 + DAY, good: 5, total: 5 },
          ]);
          const hourly = await series(HOUR);
          assert.equal(hourly.length, 25);
          const day0 = hourly.filter((p) => p.minute < T0 + DAY);
          assert.deepEqual(
            [day0.reduce((sum, p) => sum + p.good, 0), day0.reduce((sum, p) => sum + p.total, 0)],
            [34, 58],
          );
        }),
      );
    });

    describe('records', () => {
      it(
        'records answers the kinds asked of the units asked, never another unit',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await addUnit(store, 'edge-2');
          const a1 = alert(1, 'checkout/a-999', 'page-1h', 'firing');
          const s1 = status(2, 'checkout/a-999', 99, 100);
          const a2 = alert(1, 'checkout/a-999', 'page-1h', 'resolved');
          await pushOk(store, 'edge-1', { afterSeq: 0, throughSeq: 2, records: [a1, s1] });
          await pushOk(store, 'edge-2', { afterSeq: 0, throughSeq: 1, records: [a2] });
          const { seq: _a1, ...a1Body } = a1;
          const { seq: _a2, ...a2Body } = a2;
          const { seq: _s1, ...s1Body } = s1;
          assert.deepEqual(await store.records({ unitIds: ['edge-1'], kinds: ['alert'] }), [
            { unitId: 'edge-1', kind: 'alert', key: recordKey(a1), version: 1, body: a1Body },
          ]);
          assert.deepEqual(await store.records({ unitIds: ['edge-2'], kinds: ['alert', 'slo_status'] }), [
            { unitId: 'edge-2', kind: 'alert', key: recordKey(a2), version: 1, body: a2Body },
          ]);
          assert.deepEqual(
            (await store.records({ unitIds: ['edge-1', 'edge-2'], kinds: ['slo_status'] })).map(
              (r) => r.body,
            ),
            [s1Body],
          );
          assert.deepEqual(await store.records({ unitIds: [], kinds: ['alert'] }), []);
          assert.deepEqual(await store.records({ unitIds: ['edge-3'], kinds: ['alert'] }), []);
        }),
      );
    });

    describe('checksum', () => {
      it(
        'the checksum equals canonicalChecksum of resolveRecords of everything the unit sent',
        withStore(async (store) => {
          await addUnit(store, 'edge-1');
          await addUnit(store, 'edge-2');
          assert.equal(await store.checksum('edge-1'), canonicalChecksum([]));
          const sent: SyncRecord[] = [
            counts(1, T0, 5, 1, 2, { labels: { route: '/pay', method: 'POST' } }),
            counts(2, T0, 5, 2, 2, { labels: { method: 'POST', route: '/pay' } }),
            counts(3, T0 + 5, 5, 0.5, 1, { sli: LATENCY, labels: {} }),
            status(4, 'checkout/a-999', 1, 2),
            alert(5, 'checkout/a-999', 'page-1h', 'pending'),
            alert(6, 'checkout/a-999', 'page-1h', 'firing'),
            catalog(7, 'sha256:abc'),
            { kind: 'slo_status', seq: 8, slo: 'checkout/gone', deleted: true },
          ];
          await pushOk(store, 'edge-1', { afterSeq: 0, throughSeq: 4, records: sent.slice(0, 4) });
          await pushOk(store, 'edge-1', { afterSeq: 4, throughSeq: 8, records: sent.slice(4).reverse() });
          // Another unit's records never enter this unit's checksum.
          await pushCounts(store, 'edge-2', counts(1, T0, 5, 7, 7));
          assert.equal(await store.checksum('edge-1'), canonicalChecksum(resolveRecords(sent)));
        }),
      );
    });

    describe('retention', () => {
      // Two hours of 5-minute buckets at D, two days after T0; retention runs at T0 + 40 days,
      // when the detail horizon (35 days) is T0 + 5 days.
      const D = T0 + 2 * DAY;
      const NOW_MS = (T0 + 40 * DAY) * 60_000;
      const R = T0 + 39 * DAY;
      // Hour 1: bucket k (0..11) has k good of 10; hour 2: 2 good of 3 each.
      const hour1 = Array.from({ length: 12 }, (_, k) => counts(k + 1, D + 5 * k, 5, k, 10));
      const hour2 = Array.from({ length: 12 }, (_, k) => counts(k + 13, D + HOUR + 5 * k, 5, 2, 3));
      const recent = counts(25, R, 5, 7, 8);

      async function seed(store: HubStore): Promise<void> {
        await addUnit(store, 'edge-1');
        // Pushed when it was fresh: stamped a day after D.
        await pushOk(
          store,
          'edge-1',
          { afterSeq: 0, throughSeq: 24, records: [...hour1, ...hour2] },
          (D + DAY) * 60_000,
        );
        await pushOk(store, 'edge-1', { afterSeq: 24, throughSeq: 25, records: [recent] }, NOW_MS);
      }

      it(
        'folding to hours keeps hour-aligned windows and deletes the detail records',
        withStore(async (store) => {
          await seed(store);
          // Hour 1: 0 + 1 + ... + 11 = 66 good of 12 x 10 = 120; hour 2: 24 of 36.
          assert.deepEqual(await window(store, 'edge-1', D, D + HOUR), [66, 120]);
          // [D+15, D+60) at 5-minute steps: buckets 3..11, 3 + ... + 11 = 63 good of 90.
          assert.deepEqual(await window(store, 'edge-1', D + 15, D + HOUR), [63, 90]);
          const report = await store.applyRetention(NOW_MS);
          // 24 count records before the horizon; 24 aggregate rows become 2 hour rows (22 go).
          assert.deepEqual(report, { deletedDetail: 24, foldedAggregates: 22, deletedAudit: 0 });
          assert.deepEqual(await window(store, 'edge-1', D, D + HOUR), [66, 120]);
          assert.deepEqual(await window(store, 'edge-1', D + HOUR, D + 2 * HOUR), [24, 36]);
          assert.deepEqual(await window(store, 'edge-1', D, D + 2 * HOUR), [90, 156]);
          // Inside a folded hour a boundary falls at the hour's start.
          assert.deepEqual(await window(store, 'edge-1', D + 15, D + HOUR), [66, 120]);
          // [D+15, D+90) is [D, D+60) there: both boundaries move back to their hour.
          assert.deepEqual(await window(store, 'edge-1', D + 15, D + HOUR + 30), [66, 120]);
          assert.deepEqual(await window(store, 'edge-1', R, R + 5), [7, 8]);
          assert.deepEqual(
            await store.sliSeries({
              unitIds: ['edge-1'],
              sli: AVAILABILITY,
              fromMinute: D,
              toMinute: D + 2 * HOUR,
              stepMinutes: 60,
            }),
            [
              { minute: D, good: 66, total: 120 },
              { minute: D + HOUR, good: 24, total: 36 },
            ],
          );
          // Only the recent record is left at detail resolution.
          assert.equal(await store.checksum('edge-1'), canonicalChecksum([recent]));
          // Running again changes nothing.
          assert.deepEqual(await store.applyRetention(NOW_MS), {
            deletedDetail: 0,
            foldedAggregates: 0,
            deletedAudit: 0,
          });
          assert.deepEqual(await window(store, 'edge-1', D, D + 2 * HOUR), [90, 156]);
        }),
      );

      it(
        'after a retention run, counts before its horizon are ignored even from a push stamped earlier',
        withStore(async (store) => {
          await seed(store);
          await store.applyRetention(NOW_MS);
          const report = await pushOk(
            store,
            'edge-1',
            { afterSeq: 0, throughSeq: 26, records: [counts(26, D + 10, 5, 1, 1)] },
            (D + DAY) * 60_000,
          );
          assert.deepEqual(report, { ackedSeq: 26, applied: 0, superseded: 0, ignored: 1 });
          assert.deepEqual(await window(store, 'edge-1', D, D + HOUR), [66, 120]);
        }),
      );

      it(
        'aggregates past the aggregate retention are deleted and later windows stay exact',
        withStore(async (store) => {
          await seed(store);
          await store.applyRetention(NOW_MS);
          // 401 days after D, the aggregate horizon (400 days) is D + 1 day: both hours go.
          await store.applyRetention((D + 401 * DAY) * 60_000);
          assert.deepEqual(await window(store, 'edge-1', D, D + 2 * HOUR), [0, 0]);
          // A window reaching back past the horizon holds what is kept: the recent (7, 8).
          assert.deepEqual(await window(store, 'edge-1', T0, R + HOUR), [7, 8]);
          assert.deepEqual(await window(store, 'edge-1', R, R + HOUR), [7, 8]);
          // The recent record is folded now too (366 days of detail horizon): R+30 falls at R.
          assert.deepEqual(await window(store, 'edge-1', T0, R + 30), [0, 0]);
        }),
      );

      it(
        'retention by another store on the same database changes windows read before its horizon',
        withStore(async (store) => {
          if (!(store instanceof SqlHubStore)) return;
          await seed(store);
          // Read before retention, so the starts D+15 and D+HOUR+30 can come from memory:
          // buckets 3..11 of hour 1 (63 of 90) and 0..5 of hour 2 (12 of 18).
          assert.deepEqual(await window(store, 'edge-1', D + 15, D + HOUR + 30), [75, 108]);
          assert.deepEqual(await window(store, 'edge-1', D + 15, D + HOUR + 30), [75, 108]);
          const other = new SqlHubStore(watchedDriver(store.driver).driver);
          await other.applyRetention(NOW_MS);
          // Folded: both boundaries fall at their hour's start, [D, D+60).
          assert.deepEqual(await window(store, 'edge-1', D + 15, D + HOUR + 30), [66, 120]);
        }),
      );

      it(
        'retention landing between the statements of a read gives one consistent state',
        withStore(async (store) => {
          if (!(store instanceof SqlHubStore)) return;
          await seed(store);
          await addUnit(store, 'edge-2');
          await pushOk(store, 'edge-2', { afterSeq: 0, throughSeq: 1, records: [recent] }, NOW_MS);
          const watched = watchedDriver(store.driver);
          const reader = new SqlHubStore(watched.driver);
          // Kept in memory: edge-1 at D+15; D+HOUR+45 for edge-2 only (edge-2 has no data then).
          assert.deepEqual(await window(reader, 'edge-1', D + 15, D + HOUR), [63, 90]);
          assert.deepEqual(await window(reader, 'edge-2', D + HOUR + 45, R + 5), [7, 8]);
          // edge-1 over [D+15, D+HOUR+45): D+15 from memory, D+HOUR+45 sought in a second
          // statement, before which another hub runs retention and folds both hours. Mixing
          // D+15 from before (3 of 30) with D+HOUR+45 from after (the end of hour 1, 66 of 120)
          // would give 63 of 90; after retention the window is [D, D+HOUR): 66 of 120.
          watched.statements.length = 0;
          watched.beforeNext(
            () => watched.statements.length === 2,
            async () => {
              await new SqlHubStore(watchedDriver(store.driver).driver).applyRetention(NOW_MS);
            },
          );
          assert.deepEqual(await window(reader, 'edge-1', D + 15, D + HOUR + 45), [66, 120]);
        }),
      );

      it(
        'retention leaves window starts after its horizon in memory',
        withStore(async (store) => {
          if (!(store instanceof SqlHubStore)) return;
          await seed(store);
          await pushOk(
            store,
            'edge-1',
            { afterSeq: 25, throughSeq: 26, records: [counts(26, R + 10, 5, 1, 1)] },
            NOW_MS,
          );
          const watched = watchedDriver(store.driver);
          const reader = new SqlHubStore(watched.driver);
          // [R+5, R+15): the R+10 bucket; R+5 is before the newest bucket, so it is sought.
          assert.deepEqual(await window(reader, 'edge-1', R + 5, R + 15), [1, 1]);
          await store.applyRetention(NOW_MS);
          watched.statements.length = 0;
          assert.deepEqual(await window(reader, 'edge-1', R + 5, R + 15), [1, 1]);
          assert.equal(watched.statements.length, 1);
        }),
      );

      it(
        'audit entries older than the audit retention are deleted',
        withStore(async (store) => {
          const old: AuditEntry = {
            atMs: NOW_MS - 401 * DAY * 60_000,
            actor: 'system',
            action: 'create',
            resource: 'unit:edge-1',
            outcome: 'ok',
          };
          const kept: AuditEntry = { ...old, atMs: NOW_MS - DAY * 60_000 };
          await store.appendAudit([old, kept]);
          const report = await store.applyRetention(NOW_MS);
          assert.equal(report.deletedAudit, 1);
          assert.deepEqual(await store.listAudit({ limit: 10 }), [kept]);
        }),
      );
    });

    describe('catalogs and audit', () => {
      it(
        'the latest catalog is the one put last, and there is none before the first',
        withStore(async (store) => {
          assert.equal(await store.latestCatalog(), undefined);
          const v1: StoredCatalog = {
            version: 'sha256:1',
            files: { 'slo.yaml': 'a: 1\n' },
            createdAtMs: 100,
          };
          const v2: StoredCatalog = {
            version: 'sha256:2',
            files: { 'slo.yaml': 'a: 2\n', 'x/y.yaml': '' },
            createdAtMs: 200,
          };
          await store.putCatalog(v1);
          await store.putCatalog(v2);
          assert.deepEqual(await store.latestCatalog(), v2);
          // Back to the first content (same digest): it is the latest again.
          const v1Again = { ...v1, createdAtMs: 300 };
          await store.putCatalog(v1Again);
          assert.deepEqual(await store.latestCatalog(), v1Again);
        }),
      );

      it(
        'audit entries are listed oldest first from fromMs, at most limit, with their detail',
        withStore(async (store) => {
          const entry = (atMs: number, action: string, detail?: Record<string, unknown>): AuditEntry => ({
            atMs,
            actor: 'credential:cred-api',
            action,
            resource: 'GET /api/v1/fleet/budgets',
            outcome: '200',
            ...(detail === undefined ? {} : { detail }),
          });
          await store.appendAudit([entry(30, 'read'), entry(10, 'login', { ip: '10.0.0.1' })]);
          await store.appendAudit([entry(20, 'write', { count: 3, nested: { ok: true } })]);
          await store.appendAudit([]);
          assert.deepEqual(await store.listAudit({ limit: 10 }), [
            entry(10, 'login', { ip: '10.0.0.1' }),
            entry(20, 'write', { count: 3, nested: { ok: true } }),
            entry(30, 'read'),
          ]);
          assert.deepEqual(await store.listAudit({ fromMs: 20, limit: 1 }), [
            entry(20, 'write', { count: 3, nested: { ok: true } }),
          ]);
          assert.deepEqual(await store.listAudit({ limit: 0 }), []);
        }),
      );
    });

    describe('migrations', () => {
      it(
        'opening the store again on the same database migrates nothing and keeps the data',
        withStore(async (store) => {
          if (!(store instanceof SqlHubStore)) return;
          await addUnit(store, 'edge-1');
          await pushCounts(store, 'edge-1', counts(1, T0, 5, 1, 2));
          // A second store over the same database (not closed: it shares the first one's driver).
          const again = await openSqlHubStore(store.driver);
          const latest = Math.max(...MIGRATIONS.map((m) => m.version));
          assert.deepEqual(await migrate(store.driver, AT_MS), { applied: [], version: latest });
          assert.equal((await again.getUnit('edge-1'))?.ackedSeq, 1);
          assert.deepEqual(await window(again, 'edge-1', T0, T0 + 5), [1, 2]);
        }),
      );
    });
  });
}
