/**
 * The unit's export policy (`sync.export`): which record kinds leave the unit for the hub,
 * which optional fields are dropped, and which count labels are aggregated away. Enforced
 * on the unit before anything is sent (ARCHITECTURE.md, principle 6); pure.
 *
 * Dropping labels aggregates: the count records of one SLI are summed over the values of
 * the dropped labels, so each reduced label set is one record key whose value is the sum
 * at send time (docs/hub.md, "Records and versions").
 */

import { z } from 'zod';
import { RECORD_KINDS, type RecordKind, type SyncRecord } from '../sync/protocol.ts';

/** Optional record fields the policy may drop (required fields cannot be dropped). */
export const DROPPABLE_FIELDS = ['alert.summary', 'alert.severity'] as const;
export type DroppableField = (typeof DROPPABLE_FIELDS)[number];

/** The schema of `sync.export` in the unit configuration (built per call; see config.ts). */
export const exportPolicySchema = () =>
  z
    .strictObject({
      /** Record kinds that leave the unit; default all of them. */
      kinds: z.array(z.enum(RECORD_KINDS)).default([...RECORD_KINDS]),
      counts: z
        .strictObject({
          /** Labels aggregated away before sending (counts summed over their values). */
          dropLabels: z.array(z.string().min(1).max(256)).optional(),
          /** The only labels sent; every other label is aggregated away. */
          keepLabels: z.array(z.string().min(1).max(256)).optional(),
        })
        .refine((value) => value.dropLabels === undefined || value.keepLabels === undefined, {
          message: 'give dropLabels or keepLabels, not both',
        })
        .prefault({}),
      /** Optional fields removed from every record before sending. */
      dropFields: z.array(z.enum(DROPPABLE_FIELDS)).default([]),
    })
    .prefault({});
export type ExportPolicyConfig = z.output<ReturnType<typeof exportPolicySchema>>;

/** Which labels of a count series are sent: all, all but some, or only some. */
export type LabelPolicy =
  | { mode: 'all' }
  | { mode: 'drop'; names: string[] }
  | { mode: 'keep'; names: string[] };

/** The policy in a form that is cheap to apply and to persist. */
export interface ExportPolicy {
  kinds: RecordKind[];
  labels: LabelPolicy;
  dropFields: DroppableField[];
}

/** Every record and every label: what a unit without `sync.export` sends. */
export const EXPORT_EVERYTHING: ExportPolicy = Object.freeze({
  kinds: [...RECORD_KINDS],
  labels: { mode: 'all' },
  dropFields: [],
}) as ExportPolicy;

/** The policy of a `sync.export` section. */
export function exportPolicyOf(config: ExportPolicyConfig): ExportPolicy {
  const { dropLabels, keepLabels } = config.counts;
  const labels: LabelPolicy =
    keepLabels !== undefined
      ? { mode: 'keep', names: [...new Set(keepLabels)].sort() }
      : dropLabels !== undefined && dropLabels.length > 0
        ? { mode: 'drop', names: [...new Set(dropLabels)].sort() }
        : { mode: 'all' };
  return {
    kinds: RECORD_KINDS.filter((kind) => config.kinds.includes(kind)),
    labels,
    dropFields: [...new Set(config.dropFields)].sort(),
  };
}

/** True when two label policies reduce every label set the same way. */
export function sameLabelPolicy(a: LabelPolicy, b: LabelPolicy): boolean {
  if (a.mode !== b.mode) return false;
  if (a.mode === 'all' || b.mode === 'all') return true;
  return a.names.join('\u0000') === b.names.join('\u0000');
}

/**
 * The labels a series is exported under, names sorted.
 * @example reduceLabels({ mode: 'drop', names: ['pod'] }, { pod: 'a-1', code: '200' }) // { code: '200' }
 */
export function reduceLabels(
  policy: LabelPolicy,
  labels: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(labels).sort()) {
    if (policy.mode === 'drop' && policy.names.includes(name)) continue;
    if (policy.mode === 'keep' && !policy.names.includes(name)) continue;
    out[name] = labels[name]!;
  }
  return out;
}

/** True when records of `kind` may leave the unit. */
export function exportsKind(policy: ExportPolicy, kind: RecordKind): boolean {
  return policy.kinds.includes(kind);
}

/**
 * The record as it may leave the unit: undefined when its kind is excluded, otherwise a
 * copy without the dropped fields. Label reduction of counts happens when they are marked
 * and read (`Outbox`), because it changes which record a bucket belongs to.
 */
export function exportView(policy: ExportPolicy, record: SyncRecord): SyncRecord | undefined {
  if (!exportsKind(policy, record.kind)) return undefined;
  if (record.kind !== 'alert' || policy.dropFields.length === 0) return record;
  const copy = { ...record };
  if (policy.dropFields.includes('alert.summary')) delete copy.summary;
  if (policy.dropFields.includes('alert.severity')) delete copy.severity;
  return copy;
}
