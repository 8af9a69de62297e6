/**
 * Problems and notes found while importing a Backstage catalog. Like catalog issues,
 * each has a stable code and, when it comes from a file, the position it points at;
 * unlike them it may be `info`: a note about a choice the importer made for the user.
 */

/** Stable issue codes with their one-line meaning. */
export const BACKSTAGE_ISSUE_CODES = {
  'yaml.syntax': 'A file is not valid YAML.',
  'input.unreadable': 'A file or Location target could not be read.',
  'entity.not-object': 'A document is not a mapping with apiVersion, kind, metadata and spec.',
  'entity.api-version': 'apiVersion is missing or not a backstage.io/ version.',
  'entity.kind': 'kind is missing, or not a kind the importer knows.',
  'entity.name': 'metadata.name is missing or cannot become a Sextant name.',
  'entity.namespace': 'metadata.namespace is not a valid Backstage namespace.',
  'entity.duplicate': 'Two entities share kind, namespace and name (case-insensitively).',
  'entity.field': 'A field has the wrong type or is missing; it was skipped.',
  'entity.not-imported': 'Note: the entity has no Sextant counterpart (API, System, Domain, Location, ...).',
  'ref.malformed': 'An entity reference is not of the form [kind:][namespace/]name.',
  'ref.kind': 'An entity reference names a kind the field does not allow, or lacks a required kind.',
  'ref.unresolved': 'An entity reference names no entity among the imported files.',
  'name.normalized': 'Note: a name was changed to fit Sextant names ([a-z0-9-], at most 63).',
  'name.collision': 'Two entities map to the same Sextant name; one was renamed.',
  'lifecycle.unmapped': 'A lifecycle has no Sextant equivalent; the Sextant default applies.',
  'tier.default': 'Note: no tier was given, so the default tier was used.',
  'tier.invalid': 'A tier annotation or label has a value that is not a Sextant tier.',
  'owner.user': 'An owner is a User; Sextant owners are Teams.',
  'api.no-provider': 'A consumed API is provided by no imported Component.',
  'dependency.cycle': 'Services depend on each other in a cycle; one edge was made soft.',
  'team.parent-cycle': 'Groups are each other’s parents; one parent was dropped.',
  'link.invalid': 'A link has no valid URL; it was skipped.',
  'label.conflict': 'A generated label (system, domain, tag-*, type) clashes with an existing label.',
  'location.type': 'A Location type other than file or url cannot be followed.',
  'location.url': 'An absolute URL target cannot be fetched offline; it was skipped.',
  'location.no-match': 'A Location target pattern matched no file.',
  'location.loop': 'Locations refer to each other in a loop.',
  'location.depth': 'Locations are nested deeper than the importer follows.',
  internal: 'The importer failed on this input; please report it.',
} as const;

export type BackstageIssueCode = keyof typeof BACKSTAGE_ISSUE_CODES;
export type BackstageSeverity = 'error' | 'warning' | 'info';

/** One problem or note, located as precisely as the input allows. */
export interface BackstageIssue {
  code: BackstageIssueCode;
  severity: BackstageSeverity;
  file?: string;
  /** 1-based line and column. */
  line?: number;
  column?: number;
  /** Path of keys/indices inside the document, e.g. ['spec', 'dependsOn', 0]. */
  path: (string | number)[];
  message: string;
}

const SEVERITY_ORDER: Record<BackstageSeverity, number> = { error: 0, warning: 1, info: 2 };

/** Orders issues by file, position, severity and code, so output is stable. */
export function sortBackstageIssues(issues: readonly BackstageIssue[]): BackstageIssue[] {
  return [...issues].sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      a.code.localeCompare(b.code) ||
      a.message.localeCompare(b.message),
  );
}

/** Formats an issue like a compiler: `file:line:column: severity code: message`. */
export function formatBackstageIssue(issue: BackstageIssue): string {
  const where = issue.file
    ? `${issue.file}${issue.line !== undefined ? `:${issue.line}:${issue.column ?? 1}` : ''}: `
    : '';
  return `${where}${issue.severity} ${issue.code}: ${issue.message}`;
}

/** A readable message for anything thrown, for the `internal` issue. */
export function thrownMessage(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  return String(thrown);
}
