/** The unit-to-hub replication protocol: schemas, record identity and convergence. */

export { canonicalChecksum, canonicalJson, resolveRecords } from './converge.ts';
export {
  type AlertRecord,
  type CatalogBundle,
  type CatalogRecord,
  type CountsRecord,
  isCompatibleProtocol,
  MAX_PUSH_BYTES,
  MAX_RECORDS_PER_PUSH,
  type PushGap,
  type PushRequest,
  type PushResponse,
  parseProtocolVersion,
  RECORD_KINDS,
  type RecordKind,
  recordKey,
  type SloStatusRecord,
  SYNC_PROTOCOL,
  SYNC_PROTOCOL_HEADER,
  SYNC_PROTOCOL_VERSION,
  type SyncRecord,
  type SyncSchemas,
  syncSchemas,
  UNIT_ID_PATTERN,
  UNIT_OVERRIDE_KEYS,
} from './protocol.ts';
