/** `sextant catalog list|show NAME|graph`: read the catalog as a person would. */

import { type Catalog, formatIssue, type Service } from '../catalog/index.ts';
import { loadCatalogFromPaths } from '../catalog-files/index.ts';
import { type Command, EXIT, formatFlag, type Io, parseFlags, UsageError } from './io.ts';
import { renderTable } from './table.ts';

const usage = `sextant catalog list [--catalog DIR] [--format table|json]
sextant catalog show NAME [--catalog DIR] [--format text|json]
sextant catalog graph [--catalog DIR] [--format text|dot]

  --catalog   catalog directory or file (repeatable; default ./catalog)`;

export const catalogCommand: Command = {
  name: 'catalog',
  summary: 'List services, show one entity, or print the dependency graph (text or Graphviz DOT).',
  usage,
  async run(args, io) {
    const [action, ...rest] = args;
    if (action === undefined || !['list', 'show', 'graph'].includes(action)) {
      throw new UsageError(
        action === undefined || action.startsWith('-')
          ? 'catalog needs an action first: list, show or graph'
          : `unknown action "${action}": use list, show or graph`,
      );
    }
    const { values, positionals } = parseFlags(rest, {
      catalog: { type: 'string', multiple: true },
      format: { type: 'string' },
    });
    const loaded = await loadCatalog(values.catalog ?? ['catalog'], io);
    if (!loaded) return EXIT.invalid;
    switch (action) {
      case 'list':
        return list(loaded, formatFlag(values.format, ['table', 'json'] as const, 'table'), io);
      case 'show': {
        const name = positionals[0];
        if (name === undefined)
          throw new UsageError('catalog show needs a NAME (a service, team, journey or tenant)');
        return show(loaded, name, formatFlag(values.format, ['text', 'json'] as const, 'text'), io);
      }
      case 'graph':
        io.stdout(
          formatFlag(values.format, ['text', 'dot'] as const, 'text') === 'dot'
            ? dependencyDot(loaded)
            : dependencyText(loaded),
        );
        return EXIT.ok;
      default:
        throw new UsageError(
          action === undefined
            ? 'catalog needs an action: list, show or graph'
            : `unknown action "${action}": use list, show or graph`,
        );
    }
  },
};

/** Loads a catalog for reading commands; prints errors and returns undefined when invalid. */
export async function loadCatalog(paths: string[], io: Io): Promise<Catalog | undefined> {
  const { build, files, problems } = await loadCatalogFromPaths(paths);
  for (const problem of problems) io.stderr(`${problem.path}: cannot read: ${problem.message}\n`);
  if (files.length === 0) {
    io.stderr(`no catalog files found in ${paths.join(', ')}\n`);
    return undefined;
  }
  const errors = build.issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0 || problems.length > 0) {
    for (const issue of errors) io.stderr(`${formatIssue(issue)}\n`);
    io.stderr(`the catalog has ${errors.length} error(s); run sextant validate for details\n`);
    return undefined;
  }
  return build.catalog;
}

function objectiveText(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(10))}%`;
}

function list(catalog: Catalog, format: 'table' | 'json', io: Io): number {
  const services = [...catalog.services.values()].sort((a, b) => a.name.localeCompare(b.name));
  if (format === 'json') {
    io.stdout(
      `${JSON.stringify(
        services.map((service) => ({
          name: service.name,
          title: service.title,
          owner: service.owner,
          tier: service.tier,
          lifecycle: service.lifecycle,
          dependsOn: service.dependsOn.map((d) => d.service),
          slis: service.slis.map((sli) => sli.name),
          slos: service.slos.map((slo) => ({
            name: slo.name,
            objectiveRatio: slo.objectiveRatio,
            window: slo.windowText,
          })),
        })),
        null,
        2,
      )}\n`,
    );
    return EXIT.ok;
  }
  io.stdout(
    renderTable(
      ['SERVICE', 'OWNER', 'TIER', 'LIFECYCLE', 'SLOS', 'DEPENDS ON'],
      services.map((service) => [
        service.name,
        service.owner,
        service.tier,
        service.lifecycle,
        service.slos
          .map((slo) => `${slo.name} ${objectiveText(slo.objectiveRatio)}/${slo.windowText}`)
          .join(', ') || '-',
        service.dependsOn.map((d) => (d.kind === 'soft' ? `${d.service}~` : d.service)).join(', ') || '-',
      ]),
    ),
  );
  return EXIT.ok;
}

function show(catalog: Catalog, name: string, format: 'text' | 'json', io: Io): number {
  const service = catalog.services.get(name);
  const team = catalog.teams.get(name);
  const journey = catalog.journeys.get(name);
  const tenant = catalog.tenants.get(name);
  const entity = service ?? team ?? journey ?? tenant;
  if (!entity) {
    const all = [
      ...catalog.services.keys(),
      ...catalog.teams.keys(),
      ...catalog.journeys.keys(),
      ...catalog.tenants.keys(),
    ];
    const close = all.filter((candidate) => candidate.includes(name) || name.includes(candidate)).slice(0, 5);
    io.stderr(
      `no service, team, journey or tenant named "${name}"${close.length > 0 ? `; similar: ${close.join(', ')}` : ''}\n`,
    );
    return EXIT.invalid;
  }
  if (format === 'json') {
    const { source: _source, ...rest } = entity;
    io.stdout(
      `${JSON.stringify(rest, (_key, value) => (value instanceof Map ? Object.fromEntries(value) : value), 2)}\n`,
    );
    return EXIT.ok;
  }
  const lines: string[] = [];
  const kind = service ? 'Service' : team ? 'Team' : journey ? 'Journey' : 'Tenant';
  lines.push(`${kind} ${entity.name}${entity.title !== entity.name ? ` (${entity.title})` : ''}`);
  if (entity.description) lines.push(`  ${entity.description}`);
  if (entity.source) lines.push(`  defined in ${entity.source.file}:${entity.source.position([]).line}`);
  for (const link of entity.links) lines.push(`  ${link.type}: ${link.url}`);
  if (service) lines.push(...describeService(service, catalog));
  if (team) {
    const owned = [...catalog.services.values()].filter((s) => s.owner === team.name).map((s) => s.name);
    const children = [...catalog.teams.values()].filter((t) => t.parent === team.name).map((t) => t.name);
    if (team.parent) lines.push(`  parent: ${team.parent}`);
    if (children.length > 0) lines.push(`  sub-teams: ${children.join(', ')}`);
    lines.push(`  members: ${team.members.map((m) => m.name).join(', ') || '-'}`);
    lines.push(
      `  on-call: ${team.onCall ? Object.values(team.onCall).join(', ') : 'none (alerts have nowhere to go)'}`,
    );
    if (team.chat) lines.push(`  chat: ${team.chat}`);
    lines.push(`  owns: ${owned.join(', ') || '-'}`);
  }
  if (journey) {
    lines.push(`  owner: ${journey.owner}`);
    lines.push('  parts:');
    for (const part of journey.parts) lines.push(`    ${part.sli} (weight ${part.weight})`);
    for (const slo of journey.slos)
      lines.push(`  SLO ${slo.name}: ${objectiveText(slo.objectiveRatio)} over ${slo.windowText}`);
  }
  if (tenant) {
    lines.push(
      `  environment: ${tenant.environment}${tenant.region ? `, region ${tenant.region}` : ''}${tenant.dedicated ? ', dedicated' : ''}`,
    );
  }
  io.stdout(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

function describeService(service: Service, catalog: Catalog): string[] {
  const lines = [`  owner: ${service.owner}   tier: ${service.tier}   lifecycle: ${service.lifecycle}`];
  const dependents = [...catalog.services.values()].filter((s) =>
    s.dependsOn.some((d) => d.service === service.name),
  );
  lines.push(
    `  depends on: ${service.dependsOn.map((d) => `${d.service}${d.kind === 'soft' ? ' (soft)' : ''}`).join(', ') || '-'}`,
  );
  lines.push(`  dependency of: ${dependents.map((s) => s.name).join(', ') || '-'}`);
  lines.push('  SLIs:');
  for (const sli of service.slis) {
    lines.push(
      `    ${sli.name} (${sli.kind}, ${sli.severity}${sli.userImpacting ? ', user-impacting' : ''}${sli.significantLabels.length > 0 ? `, by ${sli.significantLabels.join(',')}` : ''})`,
    );
  }
  lines.push('  SLOs:');
  for (const slo of service.slos) {
    const budgeting = slo.definition.budgeting.method;
    const tiers = slo.definition.alerting.enabled
      ? slo.definition.alerting.tiers.map((t) => t.name).join(', ')
      : 'alerting off';
    lines.push(
      `    ${slo.name}: ${objectiveText(slo.objectiveRatio)} of ${slo.sli} over ${slo.windowText}, ${budgeting}; alerts: ${tiers || 'none'}`,
    );
  }
  if (service.saturationPoints.length > 0) {
    lines.push('  saturation points:');
    for (const point of service.saturationPoints) {
      lines.push(
        `    ${point.name}: soft ${point.softRatio}, hard ${point.hardRatio}${point.horizontallyScalable ? ', scales out' : ''}`,
      );
    }
  }
  return lines;
}

/** The dependency graph as an indented tree from services nothing depends on. */
export function dependencyText(catalog: Catalog): string {
  const services = [...catalog.services.values()].sort((a, b) => a.name.localeCompare(b.name));
  const dependedOn = new Set(services.flatMap((s) => s.dependsOn.map((d) => d.service)));
  const roots = services.filter((s) => !dependedOn.has(s.name));
  const lines: string[] = [];
  const visit = (name: string, depth: number, path: Set<string>, kind: 'hard' | 'soft') => {
    const marker = kind === 'soft' ? ' (soft)' : '';
    if (path.has(name)) {
      lines.push(`${'  '.repeat(depth)}${name}${marker} (cycle)`);
      return;
    }
    const service = catalog.services.get(name);
    lines.push(
      `${'  '.repeat(depth)}${name}${marker}${service ? ` [${service.tier}, ${service.owner}]` : ' (unknown)'}`,
    );
    for (const dependency of service?.dependsOn ?? []) {
      visit(dependency.service, depth + 1, new Set([...path, name]), dependency.kind);
    }
  };
  for (const root of roots.length > 0 ? roots : services) visit(root.name, 0, new Set(), 'hard');
  const edges = services.reduce((n, s) => n + s.dependsOn.length, 0);
  lines.push('', `${services.length} services, ${edges} dependencies (${roots.length} entry points)`);
  return `${lines.join('\n')}\n`;
}

/** The dependency graph in Graphviz DOT, clustered by owner team; soft edges dashed. */
export function dependencyDot(catalog: Catalog): string {
  const services = [...catalog.services.values()].sort((a, b) => a.name.localeCompare(b.name));
  const byOwner = new Map<string, Service[]>();
  for (const service of services)
    byOwner.set(service.owner, [...(byOwner.get(service.owner) ?? []), service]);
  const quote = (text: string) => JSON.stringify(text);
  const lines = ['digraph sextant {', '  rankdir=LR;', '  node [shape=box, style=rounded];'];
  for (const [owner, owned] of byOwner) {
    lines.push(`  subgraph ${quote(`cluster_${owner}`)} {`, `    label=${quote(owner)};`);
    for (const service of owned)
      lines.push(`    ${quote(service.name)} [label=${quote(`${service.title}\\n${service.tier}`)}];`);
    lines.push('  }');
  }
  for (const service of services) {
    for (const dependency of service.dependsOn) {
      lines.push(
        `  ${quote(service.name)} -> ${quote(dependency.service)}${dependency.kind === 'soft' ? ' [style=dashed]' : ''};`,
      );
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
