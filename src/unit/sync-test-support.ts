/**
 * A small in-process hub for the unit's replication tests: the push and catalog endpoints
 * of docs/hub.md with the protocol's schemas and the ack rule, and the converged state as
 * `resolveRecords` of everything it accepted. Not the real hub (src/hub), on purpose: the
 * unit's tests must not depend on it.
 */

import { gunzipSync } from 'node:zlib';
import {
  type CatalogBundle,
  canonicalChecksum,
  isCompatibleProtocol,
  type PushRequest,
  RECORD_KINDS,
  resolveRecords,
  SYNC_PROTOCOL_HEADER,
  SYNC_PROTOCOL_VERSION,
  type SyncRecord,
  syncSchemas,
} from '../sync/index.ts';
import type { HttpFetch } from './sync-client.ts';

/** A canned answer the test forces on the next requests. */
export type ForcedAnswer = { status: number; body?: unknown; headers?: Record<string, string> } | 'network';

export class FakeHub {
  readonly url = 'http://hub.test';
  readonly token: string;
  readonly unit: string;
  /** Every record accepted, in arrival order (versions included). */
  received: SyncRecord[] = [];
  /** Decoded bodies of every push request, accepted or not. */
  pushes: PushRequest[] = [];
  /** Raw JSON text of every push body. */
  rawBodies: string[] = [];
  ackedSeq = 0;
  catalog: CatalogBundle | undefined;
  /** Answers forced on the next pushes, first first. */
  forcedPush: ForcedAnswer[] = [];
  /** Answers forced on the next catalog fetches. */
  forcedCatalog: ForcedAnswer[] = [];
  catalogFetches = 0;

  constructor(options: { unit: string; token?: string }) {
    this.unit = options.unit;
    this.token = options.token ?? 'unit-token';
  }

  /** What the hub holds for the unit: the converged records. */
  held(): SyncRecord[] {
    return resolveRecords(this.received);
  }

  checksum(): string {
    return canonicalChecksum(this.held());
  }

  /** A restore from a backup taken at `mark`: later records are gone. */
  restore(mark: number): void {
    this.received = this.received.filter((record) => record.seq <= mark);
    this.ackedSeq = mark;
  }

  /** `fetch` into this hub. */
  readonly fetch: HttpFetch = async (url, init) => {
    const request = new Request(url, init);
    const path = new URL(request.url).pathname;
    if (path === '/api/v1/sync/push' && request.method === 'POST') return this.#push(request);
    if (path === '/api/v1/sync/catalog' && request.method === 'GET') return this.#catalog(request);
    return Response.json({ error: 'not_found' }, { status: 404 });
  };

  async #push(request: Request): Promise<Response> {
    const forced = this.forcedPush.shift();
    if (forced === 'network') throw new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') });
    if (request.headers.get('authorization') !== `Bearer ${this.token}`) {
      return Response.json(
        { error: 'unauthorized', message: 'missing, expired or revoked token' },
        { status: 401 },
      );
    }
    if (
      request.headers.get('content-encoding') !== 'gzip' ||
      request.headers.get('content-type') !== 'application/json'
    ) {
      return Response.json({ error: 'unsupported_media_type' }, { status: 415 });
    }
    if (!isCompatibleProtocol(request.headers.get(SYNC_PROTOCOL_HEADER) ?? '')) {
      return Response.json({ error: 'protocol' }, { status: 426 });
    }
    const text = gunzipSync(new Uint8Array(await request.arrayBuffer())).toString('utf8');
    this.rawBodies.push(text);
    const parsed = syncSchemas().pushRequest.safeParse(JSON.parse(text));
    if (!parsed.success)
      return Response.json({ error: 'invalid', message: parsed.error.message }, { status: 400 });
    const body = parsed.data;
    this.pushes.push(body);
    if (forced !== undefined) {
      return Response.json(forced.body ?? { error: 'forced' }, {
        status: forced.status,
        ...(forced.headers ? { headers: forced.headers } : {}),
      });
    }
    if (body.unit !== this.unit) return Response.json({ error: 'forbidden' }, { status: 403 });
    const records: SyncRecord[] = [];
    for (const [index, raw] of body.records.entries()) {
      if (!(RECORD_KINDS as readonly string[]).includes(raw.kind)) continue;
      const record = syncSchemas().syncRecord.safeParse(raw);
      if (!record.success) {
        return Response.json(
          { error: 'invalid_record', message: `records.${index}: ${record.error.message}` },
          { status: 400 },
        );
      }
      if (record.data.seq <= body.afterSeq || record.data.seq > body.throughSeq) {
        return Response.json(
          { error: 'invalid_record', message: `records.${index}: seq outside the push` },
          { status: 400 },
        );
      }
      records.push(record.data);
    }
    if (body.afterSeq > this.ackedSeq) {
      return Response.json(
        {
          protocol: SYNC_PROTOCOL_VERSION,
          error: 'sequence_gap',
          message: `afterSeq ${body.afterSeq} is above the acknowledged ${this.ackedSeq}`,
          ackedSeq: this.ackedSeq,
        },
        { status: 409 },
      );
    }
    this.received.push(...records);
    this.ackedSeq = Math.max(this.ackedSeq, body.throughSeq);
    return Response.json({
      protocol: SYNC_PROTOCOL_VERSION,
      ackedSeq: this.ackedSeq,
      applied: records.length,
      superseded: 0,
      ignored: body.records.length - records.length,
      catalogVersion: this.catalog?.version ?? null,
    });
  }

  async #catalog(request: Request): Promise<Response> {
    this.catalogFetches += 1;
    const forced = this.forcedCatalog.shift();
    if (forced === 'network') throw new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') });
    if (forced !== undefined)
      return Response.json(forced.body ?? { error: 'forced' }, { status: forced.status });
    if (request.headers.get('authorization') !== `Bearer ${this.token}`) {
      return Response.json({ error: 'unauthorized' }, { status: 401 });
    }
    if (!this.catalog) return Response.json({ error: 'no catalog' }, { status: 404 });
    if (request.headers.get('if-none-match') === `"${this.catalog.version}"`)
      return new Response(null, { status: 304 });
    return Response.json(this.catalog);
  }
}

/** A catalog bundle of these files. */
export function bundle(
  version: string,
  files: Record<string, string>,
  overrides: Record<string, unknown> = {},
): CatalogBundle {
  return { protocol: SYNC_PROTOCOL_VERSION, version, files, overrides };
}
