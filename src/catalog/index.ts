/** The service catalog: manifests in, a validated model and precise issues out. */

export { buildCatalog, type CatalogBuild, findCycles, tenantPattern } from './catalog.ts';
export { formatMinutes, parseDurationMinutes } from './duration.ts';
export {
  type CatalogIssue,
  formatIssue,
  formatPath,
  ISSUE_CODES,
  type IssueCode,
  type Result,
  type Severity,
  sortIssues,
} from './issues.ts';
export { type LoadedManifest, loadManifests } from './load.ts';
export type * from './model.ts';
export { isTimeZone } from './normalize.ts';
export * from './schema.ts';
export {
  compileSelector,
  formatSelector,
  type LabelMatcher,
  type MatchOp,
  parseSelector,
  type SeriesSelector,
  selectorRegExp,
} from './selector.ts';
export { issueAt, LineIndex, locatorFor, type SourceFile, type SourceLocator } from './source.ts';
export { closestName, didYouMean, editDistance } from './suggest.ts';
