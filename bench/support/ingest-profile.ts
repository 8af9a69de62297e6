/**
 * Reading a `node --cpu-prof` profile of the unit for `npm run bench -- ingest --profile`:
 * beside the harness's self-time hot spots, the inclusive time of Sextant's own functions
 * (decode, feed, reduce, commit) and of what they call into (SQLite, GC, JSON), which is
 * where the proposals come from.
 */

import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** One function's inclusive share of a profile. */
export interface InclusiveSpot {
  function: string;
  location: string;
  totalMs: number;
  totalPercent: number;
}

/** Where a frame is: `src/...:line`, a package path, or `(native)`. */
function where(node: ProfileNode): string {
  const { url, lineNumber } = node.callFrame;
  const short = url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|test)\//, '$1/');
  return short ? `${short}:${lineNumber + 1}` : '(native)';
}

/**
 * The functions with the most inclusive time (each counted once per sample however often
 * it recurses) among those whose location `keep` accepts, and the profile's idle share.
 */
export async function inclusiveSpots(
  profilePath: string,
  keep: (location: string, name: string) => boolean,
  top = 15,
): Promise<{ spots: InclusiveSpot[]; idlePercent: number; gcPercent: number; totalMs: number }> {
  const profile = JSON.parse(await readFile(profilePath, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const total = new Map<string, number>();
  let all = 0;
  let idle = 0;
  let gc = 0;
  profile.samples.forEach((id, index) => {
    const us = profile.timeDeltas[index] ?? 0;
    all += us;
    const leaf = nodes.get(id)!;
    if (leaf.callFrame.functionName === '(idle)') idle += us;
    if (leaf.callFrame.functionName === '(garbage collector)') gc += us;
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const node = nodes.get(current)!;
      const name = node.callFrame.functionName || '(anonymous)';
      const location = where(node);
      if (!keep(location, name)) continue;
      const key = `${name}\t${location}`;
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + us);
    }
  });
  const spots = [...total]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => {
      const [fn, location] = key.split('\t') as [string, string];
      return { function: fn, location, totalMs: us / 1000, totalPercent: (100 * us) / all };
    });
  return { spots, idlePercent: (100 * idle) / all, gcPercent: (100 * gc) / all, totalMs: all / 1000 };
}

/** Coarse areas of the unit's ingest path, by where a sample's innermost frame is. */
const AREAS: readonly [string, RegExp][] = [
  ['remote-write decode (snappy, protobuf, interning)', /^src\/remote-write\//],
  ['reducer (routes, cursors, role sums)', /^src\/ingest\//],
  ['selector matching', /^src\/catalog\//],
  ['count store (SQLite calls and commit included)', /^src\/store\//],
  ['unit (HTTP handler, feedSeries, state.apply, SQLite calls included)', /^src\/unit\//],
  ['HTTP server (hono, @hono/node-server, node:http)', /^(hono|@hono)\/|^node:_?http/],
  ['other node internals', /^node:/],
];

/** Self time by area (`AREAS`), plus GC, idle and the rest. */
export async function selfByArea(profilePath: string): Promise<{ area: string; percent: number }[]> {
  const profile = JSON.parse(await readFile(profilePath, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byArea = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, index) => {
    const us = profile.timeDeltas[index] ?? 0;
    all += us;
    const node = nodes.get(id)!;
    const name = node.callFrame.functionName;
    const location = where(node);
    const area =
      name === '(idle)' || name === '(garbage collector)' || name === '(program)'
        ? name
        : (AREAS.find(([, pattern]) => pattern.test(location))?.[0] ?? 'other (native, modules)');
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  });
  return [...byArea].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, percent: (100 * us) / all }));
}
