/**
 * OpenSLO v1 interop: OpenSLO files to Sextant manifests and a Sextant catalog to OpenSLO
 * files, as pure functions over texts (the CLI does the reading and writing).
 */

export { exportOpenSlo } from './export.ts';
export { importOpenSlo, UNKNOWN_TEAM } from './import.ts';
export { ANNOTATIONS } from './manifest.ts';
export { type ExportNote, formatNote, type ImportNote, type InteropFile, sortNotes } from './notes.ts';
