/** What the import steps share: the input objects by kind and name, and the notes. */

import type { z } from 'zod';
import type { ImportNote } from './notes.ts';
import type { OpenSloKind, OpenSloObject, View } from './source.ts';

export interface ImportContext {
  notes: ImportNote[];
  index: Map<OpenSloKind, Map<string, OpenSloObject>>;
  /** Objects something referred to; the rest are reported as not imported. */
  processed: Set<OpenSloObject>;
  /** Says something once per import (for remarks that hold for every occurrence). */
  once(id: string, note: () => void): void;
}

/** Parses a JSON annotation against a catalog schema; a bad value is a note, not a crash. */
export function restore<S extends z.ZodType>(
  annotations: Record<string, string>,
  key: string,
  schema: S,
  where: View,
): z.output<S> | undefined {
  const text = annotations[key];
  if (text === undefined) return undefined;
  const at = where.child('metadata').child('annotations').child(key);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    at.note('warning', `annotation ${key} is not JSON; ignored`);
    return undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    at.note(
      'warning',
      `annotation ${key} does not fit Sextant's schema (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}); ignored`,
    );
    return undefined;
  }
  return parsed.data;
}
