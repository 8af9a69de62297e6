/** Small helpers shared by every layer. No I/O. */

/** `T` with the properties that may be undefined made optional and undefined removed. */
export type Compact<T> = {
  [K in keyof T as undefined extends T[K] ? never : K]: T[K];
} & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/**
 * Drops properties whose value is undefined, so values parsed by zod (`x?: T | undefined`)
 * fit types written for `exactOptionalPropertyTypes` (`x?: T`).
 * @example compact({ a: 1, b: undefined }) // { a: 1 }
 */
export function compact<T extends object>(value: T): Compact<T> {
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (entry !== undefined) out[key] = entry;
  }
  return out as Compact<T>;
}

/**
 * Orders strings by UTF-16 code units, for sorting identifiers and paths: the same order
 * on every machine and in every locale, and unlike `localeCompare` it does not load
 * ICU's collation data (a few MB resident in a process that never needed it).
 * @example ['b', 'B', 'a'].sort(compareText) // ['B', 'a', 'b']
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A getter for `build()`'s value that builds it on first use and again only after the
 * garbage collector took it, i.e. after nothing held it. For large values a long-running
 * process needs now and then (zod schemas: each instance carries its own closures, a few
 * MB for a whole configuration), so that they are not resident between uses.
 * @example const schemas = heldWeakly(buildSchemas); schemas().config.safeParse(raw)
 */
export function heldWeakly<T extends object>(build: () => T): () => T {
  let held: WeakRef<T> | undefined;
  return () => {
    let value = held?.deref();
    if (value === undefined) {
      value = build();
      held = new WeakRef(value);
    }
    return value;
  };
}

/** Normalises anything thrown into an Error with a readable message. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  try {
    return new Error(JSON.stringify(thrown));
  } catch {
    return new Error(String(thrown));
  }
}
