/**
 * Backstage entity references, as documented in "Entity References"
 * (backstage.io/docs/features/software-catalog/references): a string
 * `[<kind>:][<namespace>/]<name>` or a compound `{kind, namespace, name}`. Which kind
 * and namespace apply when one is left out depends on the field; the namespace
 * defaults to the referring entity's own. All parts compare case-insensitively.
 */

/** A complete kind-namespace-name triplet, as written (case preserved). */
export interface EntityRef {
  kind: string;
  namespace: string;
  name: string;
}

/** The defaults a field gives to references that leave parts out. */
export interface RefContext {
  /** Kind assumed when none is written; undefined when the field requires one (e.g. dependsOn). */
  defaultKind?: string;
  /** Namespace of the referring entity. */
  defaultNamespace: string;
}

export type RefResult =
  | { ok: true; ref: EntityRef }
  | { ok: false; reason: 'malformed' | 'missing-kind'; message: string };

// Backstage's default naming rules: names are runs of [a-zA-Z0-9] joined by one of
// [-_.]; kinds start with a letter; namespaces use only [-]. The importer is lenient
// about length (it normalises names anyway) but not about characters that would
// make the reference ambiguous.
const NAME = /^[A-Za-z0-9]+([-_.][A-Za-z0-9]+)*$/;
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;
const NAMESPACE = /^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/;

/**
 * Parses a reference with the field's defaults. A slash before the first colon means
 * there is no kind (the colon then belongs to the name, which makes it invalid).
 * @example parseEntityRef('resource:default/artists-db', { defaultNamespace: 'default' })
 */
export function parseEntityRef(value: unknown, context: RefContext): RefResult {
  let kind: string | undefined;
  let namespace: string | undefined;
  let name: string | undefined;
  let shown: string;
  if (typeof value === 'string') {
    shown = JSON.stringify(value);
    const slash = value.indexOf('/');
    let colon = value.indexOf(':');
    if (slash !== -1 && slash < colon) colon = -1;
    kind = colon === -1 ? undefined : value.slice(0, colon);
    namespace = slash === -1 ? undefined : value.slice(colon + 1, slash);
    name = value.slice(Math.max(colon + 1, slash + 1));
    if (kind === '' || namespace === '' || name === '') {
      return {
        ok: false,
        reason: 'malformed',
        message: `entity reference ${shown} is not of the form [kind:][namespace/]name`,
      };
    }
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const compound = value as Record<string, unknown>;
    shown = JSON.stringify(value);
    for (const key of ['kind', 'namespace', 'name'] as const) {
      const part = compound[key];
      if (part !== undefined && typeof part !== 'string') {
        return {
          ok: false,
          reason: 'malformed',
          message: `entity reference ${shown} has a non-string ${key}`,
        };
      }
    }
    kind = compound['kind'] as string | undefined;
    namespace = compound['namespace'] as string | undefined;
    name = compound['name'] as string | undefined;
    if (!name) return { ok: false, reason: 'malformed', message: `entity reference ${shown} has no name` };
  } else {
    return {
      ok: false,
      reason: 'malformed',
      message: `an entity reference must be a string like "group:team-a", not ${describe(value)}`,
    };
  }
  kind = kind || context.defaultKind;
  namespace = namespace || context.defaultNamespace;
  if (!kind) {
    return {
      ok: false,
      reason: 'missing-kind',
      message: `entity reference ${shown} needs a kind here (e.g. "component:${name}" or "resource:${name}")`,
    };
  }
  if (!KIND.test(kind))
    return {
      ok: false,
      reason: 'malformed',
      message: `entity reference ${shown} has an invalid kind "${kind}"`,
    };
  if (!NAMESPACE.test(namespace)) {
    return {
      ok: false,
      reason: 'malformed',
      message: `entity reference ${shown} has an invalid namespace "${namespace}"`,
    };
  }
  if (!NAME.test(name)) {
    return {
      ok: false,
      reason: 'malformed',
      message: `entity reference ${shown} has an invalid name "${name}" (runs of letters and digits joined by -, _ or .)`,
    };
  }
  return { ok: true, ref: { kind, namespace, name } };
}

/** The canonical, case-folded string form `kind:namespace/name`, used as a lookup key. */
export function refKey(ref: EntityRef): string {
  return `${ref.kind}:${ref.namespace}/${ref.name}`.toLocaleLowerCase('en-US');
}

/** The string form as written (case preserved), for messages and the original-ref annotation. */
export function formatRef(ref: EntityRef): string {
  return `${ref.kind.toLocaleLowerCase('en-US')}:${ref.namespace}/${ref.name}`;
}

/** Whether `name` follows Backstage's default entity-name rules (at most 63 characters). */
export function isBackstageName(name: string): boolean {
  return name.length <= 63 && NAME.test(name);
}

/** Whether `namespace` follows Backstage's namespace rules. */
export function isBackstageNamespace(namespace: string): boolean {
  return namespace.length <= 63 && NAMESPACE.test(namespace);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return `${typeof value} ${JSON.stringify(value)}`;
}
