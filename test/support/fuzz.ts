/**
 * Shared settings for property tests: a fixed seed so CI is reproducible, and the
 * environment variables FUZZ_RUNS and FUZZ_SEED to search longer or elsewhere locally
 * (`FUZZ_RUNS=20000 FUZZ_SEED=7 node --test src/catalog/fuzz.test.ts`).
 */

/** The default seed; any failure prints its seed and path, so a run can be replayed. */
export const DEFAULT_SEED = 20_260_101;

/** fast-check parameters: `numRuns` from FUZZ_RUNS (else `defaultRuns`), `seed` from FUZZ_SEED. */
export function fuzzParameters(defaultRuns: number): { numRuns: number; seed: number } {
  return {
    numRuns: positiveInteger('FUZZ_RUNS') ?? defaultRuns,
    seed: integer('FUZZ_SEED') ?? DEFAULT_SEED,
  };
}

function integer(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got "${text}"`);
  return value;
}

function positiveInteger(name: string): number | undefined {
  const value = integer(name);
  if (value !== undefined && value < 1) throw new Error(`${name} must be at least 1, got ${value}`);
  return value;
}
