/** Builds a validated catalog from manifest files: shape, per-manifest and cross-file checks at once. */

import { compareText } from '../util/index.ts';
import { type CatalogIssue, sortIssues } from './issues.ts';
import { loadManifests } from './load.ts';
import type { Catalog, Journey, Service, Team, Tenant } from './model.ts';
import { normalizeManifest } from './normalize.ts';
import { issueAt, type SourceFile, type SourceLocator } from './source.ts';
import { didYouMean } from './suggest.ts';

/** The outcome of building a catalog: everything that could be built, and every issue. */
export interface CatalogBuild {
  catalog: Catalog;
  issues: CatalogIssue[];
  /** True when no issue is an error (warnings allowed). */
  valid: boolean;
}

/** Builds and validates a catalog from files; never throws on bad input. */
export function buildCatalog(files: readonly SourceFile[]): CatalogBuild {
  const { manifests, issues } = loadManifests(files);
  const catalog: Catalog = { services: new Map(), teams: new Map(), journeys: new Map(), tenants: new Map() };
  for (const loaded of manifests) {
    const normalized = normalizeManifest(loaded);
    issues.push(...normalized.issues);
    const registry: Map<string, { source?: SourceLocator }> =
      normalized.kind === 'Service'
        ? catalog.services
        : normalized.kind === 'Team'
          ? catalog.teams
          : normalized.kind === 'Journey'
            ? catalog.journeys
            : catalog.tenants;
    const existing = registry.get(normalized.entity.name);
    if (existing) {
      const first = existing.source;
      issues.push(
        issueAt(
          loaded.source,
          'name.duplicate',
          ['metadata', 'name'],
          `${normalized.kind} "${normalized.entity.name}" is already defined${first ? ` at ${first.file}:${first.position(['metadata', 'name']).line}` : ''}; names are unique per kind`,
        ),
      );
      continue;
    }
    (registry as Map<string, Service | Team | Journey | Tenant>).set(
      normalized.entity.name,
      normalized.entity,
    );
  }
  issues.push(...crossCheck(catalog));
  const sorted = sortIssues(issues);
  return { catalog, issues: sorted, valid: !sorted.some((issue) => issue.severity === 'error') };
}

/** Checks that span entities: references, cycles, and the catalog-level warnings. */
export function crossCheck(catalog: Catalog): CatalogIssue[] {
  const issues: CatalogIssue[] = [];
  const teams = [...catalog.teams.keys()];
  const services = [...catalog.services.keys()];
  const tenants = [...catalog.tenants.keys()];
  const teamRef = (
    name: string,
    source: SourceLocator | undefined,
    path: (string | number)[],
    context: string,
  ) => {
    if (!catalog.teams.has(name)) {
      issues.push(
        issueAt(
          source,
          'ref.unknown-team',
          path,
          `${context} names team "${name}", which is not in the catalog (add a Team manifest or fix the name).${didYouMean(name, teams)}`,
        ),
      );
    }
  };

  for (const service of catalog.services.values()) {
    teamRef(service.owner, service.source, ['spec', 'owner'], `service "${service.name}"`);
    service.slis.forEach((sli, index) => {
      if (sli.team !== service.owner)
        teamRef(sli.team, service.source, ['spec', 'slis', index, 'team'], `SLI "${sli.id}"`);
    });
    service.dependsOn.forEach((dependency, index) => {
      const path = ['spec', 'dependsOn', index];
      if (dependency.service === service.name) {
        issues.push(
          issueAt(service.source, 'ref.self', path, `service "${service.name}" lists itself in dependsOn`),
        );
      } else if (!catalog.services.has(dependency.service)) {
        issues.push(
          issueAt(
            service.source,
            'ref.unknown-service',
            path,
            `service "${service.name}" depends on "${dependency.service}", which is not in the catalog.${didYouMean(dependency.service, services)}`,
          ),
        );
      }
    });
    if (catalog.tenants.size > 0) {
      (service.instances.tenants ?? []).forEach((pattern, index) => {
        const matcher = tenantPattern(pattern);
        if (!tenants.some((tenant) => matcher.test(tenant))) {
          issues.push(
            issueAt(
              service.source,
              'ref.unknown-tenant',
              ['spec', 'instances', 'tenants', index],
              `${pattern.includes('*') ? 'tenant pattern' : 'tenant'} "${pattern}" matches no Tenant in the catalog.${didYouMean(pattern, tenants)}`,
            ),
          );
        }
      });
    }
    if (service.slos.length === 0) {
      issues.push(
        issueAt(
          service.source,
          'service.no-slos',
          ['spec'],
          `service "${service.name}" has no SLOs, so nobody will know when it fails its users (sextant init shows sensible ones)`,
          { severity: 'warning' },
        ),
      );
    }
  }

  const sliIds = new Set(
    [...catalog.services.values()].flatMap((service) => service.slis.map((sli) => sli.id)),
  );
  for (const journey of catalog.journeys.values()) {
    teamRef(journey.owner, journey.source, ['spec', 'owner'], `journey "${journey.name}"`);
    journey.parts.forEach((part, index) => {
      if (!sliIds.has(part.sli)) {
        issues.push(
          issueAt(
            journey.source,
            'journey.unknown-sli',
            ['spec', 'parts', index, 'sli'],
            `journey "${journey.name}" uses SLI "${part.sli}", which does not exist (write service/sli).${didYouMean(part.sli, sliIds)}`,
          ),
        );
      }
    });
  }

  for (const team of catalog.teams.values()) {
    if (team.parent !== undefined)
      teamRef(team.parent, team.source, ['spec', 'parent'], `team "${team.name}"`);
  }
  issues.push(...teamParentCycles(catalog), ...dependencyCycles(catalog));

  const owners = new Set([...catalog.services.values()].map((service) => service.owner));
  for (const team of catalog.teams.values()) {
    if (owners.has(team.name) && team.onCall === undefined) {
      issues.push(
        issueAt(
          team.source,
          'team.no-on-call',
          ['spec'],
          `team "${team.name}" owns services but has no onCall contact (add spec.onCall.schedule, email or url), so alerts have nowhere to go`,
          { severity: 'warning' },
        ),
      );
    }
  }
  return issues;
}

/**
 * Tenant references may use `*` as a wildcard, e.g. `dedicated-*`. Matched by splitting
 * on `*`, not with a regex: `a*a*a*...b` made a backtracking regex take minutes (fuzzing).
 */
export function tenantPattern(pattern: string): { test(name: string): boolean } {
  const parts = pattern.split('*');
  return {
    test(name: string): boolean {
      if (parts.length === 1) return name === pattern;
      const first = parts[0]!;
      const last = parts[parts.length - 1]!;
      if (name.length < first.length + last.length || !name.startsWith(first) || !name.endsWith(last))
        return false;
      // Greedy left-to-right placement of the middle parts is optimal for `*` globs.
      let position = first.length;
      const end = name.length - last.length;
      for (const part of parts.slice(1, -1)) {
        const found = name.indexOf(part, position);
        if (found === -1 || found + part.length > end) return false;
        position = found + part.length;
      }
      return true;
    },
  };
}

/**
 * Cycles among hard dependencies, each reported once on its first service. A cycle
 * through a soft dependency is allowed: a soft dependency degrades, it does not fail.
 */
function dependencyCycles(catalog: Catalog): CatalogIssue[] {
  const edges = new Map<string, string[]>();
  for (const service of catalog.services.values()) {
    edges.set(
      service.name,
      service.dependsOn
        .filter((d) => d.kind === 'hard' && d.service !== service.name && catalog.services.has(d.service))
        .map((d) => d.service),
    );
  }
  return findCycles(edges).map((cycle) => {
    const first = catalog.services.get(cycle[0]!)!;
    const next = cycle[1] ?? cycle[0]!;
    const index = first.dependsOn.findIndex((d) => d.service === next);
    return issueAt(
      first.source,
      'dependency.cycle',
      ['spec', 'dependsOn', Math.max(0, index)],
      `services depend on each other in a cycle: ${[...cycle, cycle[0]].join(' -> ')}; break it, or mark one edge {kind: soft} if that call degrades gracefully`,
    );
  });
}

function teamParentCycles(catalog: Catalog): CatalogIssue[] {
  const edges = new Map<string, string[]>();
  for (const team of catalog.teams.values()) {
    edges.set(team.name, team.parent !== undefined && catalog.teams.has(team.parent) ? [team.parent] : []);
  }
  return findCycles(edges).map((cycle) =>
    issueAt(
      catalog.teams.get(cycle[0]!)!.source,
      'team.parent-cycle',
      ['spec', 'parent'],
      `teams are each other's parents: ${[...cycle, cycle[0]].join(' -> ')}`,
    ),
  );
}

/**
 * Elementary cycles, one per strongly connected component (Tarjan), each rotated to
 * start at its alphabetically first node so the report is stable.
 */
export function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  // Iterative Tarjan: deep dependency chains must not overflow the call stack.
  for (const root of [...edges.keys()].sort()) {
    if (index.has(root)) continue;
    const work: { node: string; next: number }[] = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const targets = edges.get(frame.node) ?? [];
      if (frame.next < targets.length) {
        const target = targets[frame.next++]!;
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfLoop = (edges.get(frame.node) ?? []).includes(frame.node);
        if (component.length > 1 || selfLoop) components.push(component);
      }
    }
  }
  return components
    .map((component) => cycleWithin(component, edges))
    .sort((a, b) => compareText(a[0]!, b[0]!));
}

/** A concrete cycle through the component's first node, found by breadth-first search. */
function cycleWithin(component: string[], edges: ReadonlyMap<string, readonly string[]>): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const target of edges.get(node) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return path;
      }
      if (!previous.has(target)) {
        previous.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start];
}
