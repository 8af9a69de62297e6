/**
 * Backstage catalog import: catalog-info.yaml files in, Sextant manifests out.
 * `collectBackstageInputs` follows Location entities to gather the files,
 * `importBackstage` maps them; both report problems as located issues.
 */

export { BACKSTAGE_KINDS, type BackstageEntity, type BackstageKind } from './entities.ts';
export { collectBackstageInputsFromDisk, listDirectory, readTextFile, writeImportedFiles } from './fs.ts';
export { expandGlob, type ListDirectory, matchGlob } from './glob.ts';
export {
  type BackstageImport,
  type BackstageImportOptions,
  importBackstage,
  linkType,
  ORIGINAL_REF_ANNOTATION,
  parseTier,
} from './import.ts';
export {
  BACKSTAGE_ISSUE_CODES,
  type BackstageIssue,
  type BackstageIssueCode,
  type BackstageSeverity,
  formatBackstageIssue,
  sortBackstageIssues,
} from './issues.ts';
export { collectBackstageInputs, type ReadTextFile } from './locations.ts';
export { sextantNameFor, toSextantName } from './names.ts';
export { type EntityRef, formatRef, parseEntityRef, type RefContext, type RefResult, refKey } from './ref.ts';
