/** What interop could not carry over, or carried over with an assumption, said precisely. */

/**
 * One remark about a conversion. `warning`: something was lost or needs the user's
 * decision; `info`: mapped, with an assumption worth knowing. Positions are 1-based and
 * point into the input file the remark is about.
 */
export interface ImportNote {
  severity: 'warning' | 'info';
  file?: string;
  line?: number;
  column?: number;
  /** Keys and indices inside the document, e.g. ['spec', 'objectives', 1, 'target']. */
  path: (string | number)[];
  message: string;
}

/** Export remarks have the same shape; positions point into the Sextant manifests when known. */
export type ExportNote = ImportNote;

/** A file in or out: a path (for messages and output names) and its text. */
export interface InteropFile {
  path: string;
  text: string;
}

/** Orders notes by file and position so output is stable and reads top to bottom. */
export function sortNotes(notes: readonly ImportNote[]): ImportNote[] {
  return [...notes].sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.message.localeCompare(b.message),
  );
}

/** Formats a note like a compiler message: `file:line:column: warning: message (at spec.x)`. */
export function formatNote(note: ImportNote): string {
  const where = note.file
    ? `${note.file}${note.line !== undefined ? `:${note.line}:${note.column ?? 1}` : ''}: `
    : '';
  let at = '';
  for (const part of note.path) at += typeof part === 'number' ? `[${part}]` : at === '' ? part : `.${part}`;
  return `${where}${note.severity}: ${note.message}${at ? ` (at ${at})` : ''}`;
}
