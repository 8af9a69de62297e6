/**
 * From Backstage names (`[a-zA-Z0-9]` runs joined by `-`, `_` or `.`, per namespace)
 * to Sextant names (`[a-z0-9-]`, 1-63, starting and ending with a letter or digit,
 * one flat space per kind).
 */

const MAX_LENGTH = 63;

/**
 * Lower-cases, turns every other character into `-`, collapses runs of `-`, trims them
 * from both ends and cuts to 63 characters. Returns '' when nothing usable is left.
 * @example toSextantName('CircleciBuildsDumpV2_avro_gcs') // 'circlecibuildsdumpv2-avro-gcs'
 */
export function toSextantName(name: string): string {
  const dashed = name
    .toLocaleLowerCase('en-US')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return dashed.slice(0, MAX_LENGTH).replace(/-+$/, '');
}

/**
 * The Sextant name of an entity. Sextant has no namespaces, so an entity outside the
 * `default` namespace gets the namespace as a prefix (`external-systems/petstore` becomes
 * `external-systems-petstore`); prefixing keeps names unique and readable, where dropping
 * the namespace would merge unrelated entities.
 */
export function sextantNameFor(namespace: string, name: string): string {
  return namespace.toLocaleLowerCase('en-US') === 'default'
    ? toSextantName(name)
    : toSextantName(`${namespace}-${name}`);
}

/**
 * `name` with a suffix, cut so the result still fits in 63 characters.
 * @example withSuffix('artists-db', 'resource') // 'artists-db-resource'
 */
export function withSuffix(name: string, suffix: string): string {
  const room = MAX_LENGTH - suffix.length - 1;
  return `${name.slice(0, room).replace(/-+$/, '')}-${suffix}`;
}

/** Whether `name` is a valid Sextant name. */
export function isSextantName(name: string): boolean {
  return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name);
}
