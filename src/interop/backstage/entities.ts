/**
 * Reading Backstage descriptor files (catalog-info.yaml) into entity envelopes, as
 * described in "Descriptor Format of Catalog Entities"
 * (backstage.io/docs/features/software-catalog/descriptor-format): `apiVersion`,
 * `kind`, `metadata` (name, namespace, title, description, labels, annotations, tags,
 * links) and a kind-specific `spec`. Only the envelope is checked here; the fields each
 * kind needs are checked where they are mapped.
 */

import { didYouMean, type SourceFile } from '../../catalog/index.ts';
import type { BackstageIssue } from './issues.ts';
import { isBackstageName, isBackstageNamespace, refKey } from './ref.ts';
import { at, type DocumentLocator, parseDocuments } from './source.ts';

/** The core kinds of the Backstage system model (ADR005) plus Location and Template. */
export const BACKSTAGE_KINDS = [
  'Component',
  'API',
  'Resource',
  'System',
  'Domain',
  'Group',
  'User',
  'Location',
  'Template',
] as const;
export type BackstageKind = (typeof BACKSTAGE_KINDS)[number];

/** One entity as written, with where it was written. */
export interface BackstageEntity {
  apiVersion: string;
  kind: BackstageKind;
  namespace: string;
  name: string;
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
  /** Canonical lookup key `kind:namespace/name`, lower case. */
  key: string;
  source: DocumentLocator;
}

/** Parses every document of every file into entities; bad documents become issues. */
export function readEntities(files: readonly SourceFile[]): {
  entities: BackstageEntity[];
  issues: BackstageIssue[];
} {
  const entities: BackstageEntity[] = [];
  const issues: BackstageIssue[] = [];
  const seen = new Map<string, BackstageEntity>();
  for (const file of files) {
    const parsed = parseDocuments(file.path, file.text);
    issues.push(...parsed.issues);
    for (const document of parsed.documents) {
      const entity = readEntity(document.value, document.locator, issues);
      if (!entity) continue;
      const first = seen.get(entity.key);
      if (first) {
        const where = `${first.source.file}:${first.source.position(['metadata', 'name']).line}`;
        issues.push(
          at(
            entity.source,
            'entity.duplicate',
            'error',
            ['metadata', 'name'],
            `${entity.kind} "${entity.namespace}/${entity.name}" is already defined at ${where} (names are unique per kind and namespace, ignoring case); this one was skipped`,
          ),
        );
        continue;
      }
      seen.set(entity.key, entity);
      entities.push(entity);
    }
  }
  return { entities, issues };
}

function readEntity(
  value: unknown,
  locator: DocumentLocator,
  issues: BackstageIssue[],
): BackstageEntity | undefined {
  if (!isRecord(value)) {
    issues.push(
      at(
        locator,
        'entity.not-object',
        'error',
        [],
        'an entity is a mapping with apiVersion, kind, metadata and spec',
      ),
    );
    return undefined;
  }
  const apiVersion = value['apiVersion'];
  if (typeof apiVersion !== 'string' || apiVersion === '') {
    issues.push(
      at(
        locator,
        'entity.api-version',
        'error',
        ['apiVersion'],
        'apiVersion is missing; Backstage entities have apiVersion: backstage.io/v1alpha1',
      ),
    );
    return undefined;
  }
  if (!apiVersion.startsWith('backstage.io/')) {
    issues.push(
      at(
        locator,
        'entity.api-version',
        'warning',
        ['apiVersion'],
        `apiVersion "${apiVersion}" is not a Backstage entity (backstage.io/v1alpha1 or v1beta1); the document was skipped`,
      ),
    );
    return undefined;
  }
  const rawKind = value['kind'];
  if (typeof rawKind !== 'string' || rawKind === '') {
    issues.push(
      at(
        locator,
        'entity.kind',
        'error',
        ['kind'],
        `kind is missing; use one of ${BACKSTAGE_KINDS.join(', ')}`,
      ),
    );
    return undefined;
  }
  // Kinds compare case-insensitively in references; accept them so in the envelope too.
  const kind = BACKSTAGE_KINDS.find((known) => known.toLowerCase() === rawKind.toLowerCase());
  if (!kind) {
    issues.push(
      at(
        locator,
        'entity.kind',
        'warning',
        ['kind'],
        `kind "${rawKind}" is not a Backstage core kind the importer knows (${BACKSTAGE_KINDS.join(', ')}); the entity was skipped.${didYouMean(rawKind, BACKSTAGE_KINDS)}`,
      ),
    );
    return undefined;
  }
  const metadata = value['metadata'];
  if (!isRecord(metadata)) {
    issues.push(
      at(locator, 'entity.name', 'error', ['metadata'], `${kind} has no metadata; metadata.name is required`),
    );
    return undefined;
  }
  const name = metadata['name'];
  if (typeof name !== 'string' || name === '') {
    issues.push(
      at(
        locator,
        'entity.name',
        'error',
        ['metadata', 'name'],
        `${kind} has no metadata.name; every entity needs a name`,
      ),
    );
    return undefined;
  }
  if (!isBackstageName(name)) {
    issues.push(
      at(
        locator,
        'entity.name',
        'warning',
        ['metadata', 'name'],
        `"${name}" is not a valid Backstage name (at most 63 characters: letters and digits joined by -, _ or .); imported anyway`,
      ),
    );
  }
  let namespace = 'default';
  const rawNamespace = metadata['namespace'];
  if (rawNamespace !== undefined) {
    if (typeof rawNamespace !== 'string' || !isBackstageNamespace(rawNamespace)) {
      issues.push(
        at(
          locator,
          'entity.namespace',
          'error',
          ['metadata', 'namespace'],
          `metadata.namespace must be letters and digits joined by -, at most 63 characters; the entity was skipped`,
        ),
      );
      return undefined;
    }
    // Namespaces are case-insensitive and shown in lower case (descriptor format, metadata.namespace).
    namespace = rawNamespace.toLowerCase();
  }
  const spec = value['spec'] ?? {};
  if (!isRecord(spec)) {
    issues.push(
      at(
        locator,
        'entity.field',
        'error',
        ['spec'],
        `spec of ${kind} "${name}" must be a mapping; the entity was skipped`,
      ),
    );
    return undefined;
  }
  return {
    apiVersion,
    kind,
    namespace,
    name,
    metadata,
    spec,
    key: refKey({ kind, namespace, name }),
    source: locator,
  };
}

/** Whether a value is a plain mapping. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
