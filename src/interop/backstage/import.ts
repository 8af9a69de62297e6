/**
 * Backstage catalog in, Sextant manifests out. Components and Resources become
 * Services, Groups become Teams (with Users as members); APIs, Systems and Domains have
 * no Sextant counterpart and are used to resolve dependencies and labels. Every choice
 * the importer makes for the user (a renamed entity, a default tier, a dropped
 * reference) is reported as an issue, so nothing changes silently.
 */

import { Document } from 'yaml';
import { API_VERSION, findCycles, type LIFECYCLES, type SourceFile, TIERS } from '../../catalog/index.ts';
import { type BackstageEntity, isRecord, readEntities } from './entities.ts';
import {
  type BackstageIssue,
  type BackstageIssueCode,
  type BackstageSeverity,
  sortBackstageIssues,
  thrownMessage,
} from './issues.ts';
import { sextantNameFor, withSuffix } from './names.ts';
import { type EntityRef, formatRef, parseEntityRef, refKey } from './ref.ts';
import { at } from './source.ts';

type Tier = keyof typeof TIERS;
type Lifecycle = keyof typeof LIFECYCLES;

/** Annotation recording the Backstage entity a Sextant entity was imported from. */
export const ORIGINAL_REF_ANNOTATION = 'backstage.io/original-ref';

/** Options of `importBackstage`. */
export interface BackstageImportOptions {
  /**
   * `entity` (default): one file per entity, `services/<name>.yaml` and `teams/<name>.yaml`,
   * Sextant's paved road of one file per service. `kind`: `services.yaml` and `teams.yaml`.
   */
  layout?: 'entity' | 'kind';
  /** Tier of services that state none. Default `medium`. */
  defaultTier?: Tier;
  /**
   * Annotation or label keys read for the tier, first found wins (annotations before
   * labels). Default `sextant.dev/tier`, then `tier`.
   */
  tierKeys?: readonly string[];
}

/** Sextant manifest files and everything worth telling about how they were made. */
export interface BackstageImport {
  files: SourceFile[];
  issues: BackstageIssue[];
}

const DEFAULT_TIER_KEYS = ['sextant.dev/tier', 'tier'] as const;

/**
 * Converts Backstage descriptor files into Sextant manifests. Pure and total: bad input
 * becomes issues (with file:line:column), never an exception.
 * @example
 * const { files, issues } = importBackstage([{ path: 'catalog-info.yaml', text }]);
 */
export function importBackstage(
  inputs: readonly SourceFile[],
  options: BackstageImportOptions = {},
): BackstageImport {
  try {
    return new Importer(options).run(inputs);
  } catch (thrown) {
    return {
      files: [],
      issues: [
        {
          code: 'internal',
          severity: 'error',
          path: [],
          message: `the importer failed: ${thrownMessage(thrown)}`,
        },
      ],
    };
  }
}

/** What a reference field accepts, per the descriptor format's tables. */
interface RefRule {
  /** Lower-case kind assumed when none is written; none means a kind is required. */
  defaultKind?: string;
  /** Lower-case kinds the field may name. */
  kinds: readonly string[];
}

const RULES = {
  owner: { defaultKind: 'group', kinds: ['group', 'user'] },
  system: { defaultKind: 'system', kinds: ['system'] },
  domain: { defaultKind: 'domain', kinds: ['domain'] },
  dependsOn: { kinds: ['component', 'resource'] },
  api: { defaultKind: 'api', kinds: ['api'] },
  component: { defaultKind: 'component', kinds: ['component'] },
  group: { defaultKind: 'group', kinds: ['group'] },
  user: { defaultKind: 'user', kinds: ['user'] },
} as const satisfies Record<string, RefRule>;

interface Resolved {
  ref: EntityRef;
  key: string;
  /** The entity referred to, when it is among the inputs. */
  target?: BackstageEntity;
}

type Dependency = string | { service: string; kind?: 'soft'; description: string };

interface ServiceManifestOut {
  apiVersion: string;
  kind: 'Service';
  metadata: MetadataOut;
  spec: { owner: string; tier: Tier; lifecycle?: Lifecycle; dependsOn?: Dependency[] };
}

interface TeamManifestOut {
  apiVersion: string;
  kind: 'Team';
  metadata: MetadataOut;
  spec: {
    parent?: string;
    members?: (string | { name: string; email: string })[];
    onCall?: { schedule?: string; email?: string };
    chat?: string;
  };
}

interface MetadataOut {
  name: string;
  title?: string;
  description?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  links?: { url: string; title?: string; type: LinkType }[];
}

type LinkType = 'runbook' | 'dashboard' | 'repo' | 'docs' | 'chat' | 'other';

/** A Backstage link (descriptor format, metadata.links): url, and optional title, icon, type. */
interface RawLink {
  url: string;
  title?: string;
  icon?: string;
  type?: string;
}

interface Output {
  entity: BackstageEntity;
  manifest: ServiceManifestOut | TeamManifestOut;
}

class Importer {
  private readonly issues: BackstageIssue[] = [];
  private readonly byKey = new Map<string, BackstageEntity>();
  /** Sextant names of the entities that become Services or Teams. */
  private readonly names = new Map<string, string>();
  /** API key to the keys of the Components that provide it. */
  private readonly providers = new Map<string, string[]>();
  /** Key of a Component/Resource to the keys it depends on through their `dependencyOf`. */
  private readonly reverseDependencies = new Map<string, string[]>();
  /** Group key to member user references (key and name as written). */
  private readonly members = new Map<string, Map<string, Resolved>>();
  /** User key to the keys of its groups. */
  private readonly userGroups = new Map<string, string[]>();
  /** Child group key to the parent key given by a parent's `children`. */
  private readonly parentFromChildren = new Map<string, string>();
  /** System key to the Sextant-style name of its domain. */
  private readonly systemDomains = new Map<string, string>();
  /** Entity key to its valid links, read once. */
  private readonly rawLinks = new Map<string, RawLink[]>();
  private readonly defaultTier: Tier;
  private readonly tierKeys: readonly string[];
  private readonly layout: 'entity' | 'kind';

  constructor(options: BackstageImportOptions) {
    this.defaultTier = options.defaultTier ?? 'medium';
    this.tierKeys = options.tierKeys ?? DEFAULT_TIER_KEYS;
    this.layout = options.layout ?? 'entity';
  }

  run(inputs: readonly SourceFile[]): BackstageImport {
    const { entities, issues } = readEntities(inputs);
    this.issues.push(...issues);
    for (const entity of entities) this.byKey.set(entity.key, entity);
    this.assignNames(entities);
    for (const entity of entities) this.collectRelations(entity);
    const outputs: Output[] = [];
    for (const entity of entities) {
      const manifest = this.mapEntity(entity);
      if (manifest) outputs.push({ entity, manifest });
    }
    this.breakDependencyCycles(outputs);
    this.breakParentCycles(outputs);
    return { files: this.render(outputs), issues: sortBackstageIssues(this.issues) };
  }

  // ---------------------------------------------------------------------------
  // Names

  /**
   * Gives every future Service and Team a unique Sextant name. Entities whose name is
   * already valid keep it first (Components before Resources), so a clash renames the
   * entity whose name was changed anyway.
   */
  private assignNames(entities: readonly BackstageEntity[]): void {
    const taken = { Service: new Map<string, BackstageEntity>(), Team: new Map<string, BackstageEntity>() };
    const candidates = entities
      .filter((entity) => sextantKind(entity) !== undefined)
      .map((entity, order) => {
        const name = sextantNameFor(entity.namespace, entity.name);
        const exact = name === entity.name && entity.namespace === 'default';
        const rank = (exact ? 0 : 2) + (entity.kind === 'Resource' ? 1 : 0);
        return { entity, name, rank, order };
      })
      .sort((a, b) => a.rank - b.rank || a.order - b.order);
    for (const { entity, name } of candidates) {
      const kind = sextantKind(entity)!;
      if (name === '') {
        this.issue(
          entity,
          'entity.name',
          'error',
          ['metadata', 'name'],
          `"${entity.name}" has no letters or digits, so it cannot become a Sextant name; the entity was skipped`,
        );
        continue;
      }
      const registry = taken[kind];
      let chosen = name;
      const holder = registry.get(name);
      if (holder) {
        chosen = holder.kind !== entity.kind ? withSuffix(name, entity.kind.toLowerCase()) : name;
        for (let n = 2; registry.has(chosen); n++) chosen = withSuffix(name, String(n));
        this.issue(
          entity,
          'name.collision',
          'warning',
          ['metadata', 'name'],
          `${formatRef(refOf(entity))} and ${formatRef(refOf(holder))} would both become ${kind} "${name}"; this one is named "${chosen}"`,
        );
      } else if (name !== entity.name || entity.namespace !== 'default') {
        const why =
          entity.namespace !== 'default'
            ? `Sextant has no namespaces, so the namespace "${entity.namespace}" is a prefix`
            : 'Sextant names are lower case letters, digits and -, at most 63 characters';
        this.issue(
          entity,
          'name.normalized',
          'info',
          ['metadata', 'name'],
          `${formatRef(refOf(entity))} is imported as ${kind} "${chosen}" (${why}); the original is kept in the ${ORIGINAL_REF_ANNOTATION} annotation`,
        );
      }
      registry.set(chosen, entity);
      this.names.set(entity.key, chosen);
    }
  }

  /** The Sextant name a reference maps to: the imported entity's, or one derived from the reference. */
  private nameOf(resolved: Resolved): string {
    return this.names.get(resolved.key) ?? sextantNameFor(resolved.ref.namespace, resolved.ref.name);
  }

  // ---------------------------------------------------------------------------
  // Relations that point the other way: collected once, before mapping

  private collectRelations(entity: BackstageEntity): void {
    switch (entity.kind) {
      case 'Component':
        this.refList(entity, ['spec', 'providesApis'], RULES.api).forEach((api) => {
          const list = this.providers.get(api.key) ?? [];
          list.push(entity.key);
          this.providers.set(api.key, list);
        });
        this.collectDependencyOf(entity);
        return;
      case 'Resource':
        this.collectDependencyOf(entity);
        return;
      case 'Group': {
        this.refList(entity, ['spec', 'members'], RULES.user).forEach((user, index) => {
          if (!user.target) {
            this.issue(
              entity,
              'ref.unresolved',
              'warning',
              ['spec', 'members', index],
              `member ${formatRef(user.ref)} is not among the imported files; it is listed by name only`,
            );
          }
          this.addMember(entity.key, user);
        });
        this.refList(entity, ['spec', 'children'], RULES.group).forEach((child, index) => {
          if (!child.target) {
            this.issue(
              entity,
              'ref.unresolved',
              'warning',
              ['spec', 'children', index],
              `child group ${formatRef(child.ref)} is not among the imported files`,
            );
            return;
          }
          const existing = this.parentFromChildren.get(child.key);
          if (existing !== undefined && existing !== entity.key) {
            this.issue(
              entity,
              'entity.field',
              'warning',
              ['spec', 'children', index],
              `group ${formatRef(child.ref)} is listed as a child of more than one group; a group has at most one parent`,
            );
            return;
          }
          this.parentFromChildren.set(child.key, entity.key);
        });
        return;
      }
      case 'User': {
        this.refList(entity, ['spec', 'memberOf'], RULES.group).forEach((group, index) => {
          if (!group.target) {
            this.issue(
              entity,
              'ref.unresolved',
              'warning',
              ['spec', 'memberOf', index],
              `group ${formatRef(group.ref)} is not among the imported files, so this membership is lost`,
            );
            return;
          }
          this.addMember(group.key, { ref: refOf(entity), key: entity.key, target: entity });
        });
        return;
      }
      case 'System': {
        const domain = this.refOne(entity, ['spec', 'domain'], RULES.domain);
        if (domain) this.systemDomains.set(entity.key, sextantNameFor(domain.ref.namespace, domain.ref.name));
        return;
      }
      default:
        return;
    }
  }

  private collectDependencyOf(entity: BackstageEntity): void {
    this.refList(entity, ['spec', 'dependencyOf'], RULES.dependsOn).forEach((dependent, index) => {
      if (!dependent.target) {
        this.issue(
          entity,
          'ref.unresolved',
          'warning',
          ['spec', 'dependencyOf', index],
          `${formatRef(dependent.ref)} is not among the imported files, so its dependency on this entity is lost`,
        );
        return;
      }
      // `dependencyOf: [A]` on this entity B means A depends on B.
      const list = this.reverseDependencies.get(dependent.key) ?? [];
      if (!list.includes(entity.key)) list.push(entity.key);
      this.reverseDependencies.set(dependent.key, list);
    });
  }

  private addMember(groupKey: string, user: Resolved): void {
    const members = this.members.get(groupKey) ?? new Map<string, Resolved>();
    if (!members.has(user.key)) members.set(user.key, user);
    this.members.set(groupKey, members);
    const groups = this.userGroups.get(user.key) ?? [];
    if (!groups.includes(groupKey)) groups.push(groupKey);
    this.userGroups.set(user.key, groups);
  }

  // ---------------------------------------------------------------------------
  // Mapping

  private mapEntity(entity: BackstageEntity): ServiceManifestOut | TeamManifestOut | undefined {
    switch (entity.kind) {
      case 'Component':
      case 'Resource':
        return this.names.has(entity.key) ? this.mapService(entity) : undefined;
      case 'Group':
        return this.names.has(entity.key) ? this.mapTeam(entity) : undefined;
      case 'User':
        return undefined; // imported as a member of its groups
      case 'API':
        this.notImported(
          entity,
          'an API has no Sextant counterpart; consumesApis become dependencies on the Components that provide it',
        );
        return undefined;
      case 'System':
        this.notImported(entity, 'a System has no Sextant counterpart; its parts get the label system');
        return undefined;
      case 'Domain':
        this.notImported(
          entity,
          'a Domain has no Sextant counterpart; the parts of its systems get the label domain',
        );
        return undefined;
      case 'Location':
        this.notImported(entity, 'Locations are followed when collecting input files, not imported');
        return undefined;
      case 'Template':
        this.notImported(entity, 'scaffolder Templates have no Sextant counterpart');
        return undefined;
    }
  }

  private notImported(entity: BackstageEntity, why: string): void {
    this.issue(
      entity,
      'entity.not-imported',
      'info',
      ['kind'],
      `${formatRef(refOf(entity))} is not imported: ${why}`,
    );
  }

  private mapService(entity: BackstageEntity): ServiceManifestOut | undefined {
    const owner = this.ownerOf(entity);
    if (owner === undefined) return undefined;
    const spec: ServiceManifestOut['spec'] = { owner, tier: this.tierOf(entity) };
    if (entity.kind === 'Component') {
      const lifecycle = this.lifecycleOf(entity);
      if (lifecycle) spec.lifecycle = lifecycle;
    }
    const dependsOn = this.dependenciesOf(entity);
    if (dependsOn.length > 0) spec.dependsOn = dependsOn;

    const generated: Record<string, string> = {};
    const type = this.string(entity, ['spec', 'type']);
    if (type !== undefined) generated['type'] = type;
    const system = this.refOne(entity, ['spec', 'system'], RULES.system);
    if (system) {
      generated['system'] = sextantNameFor(system.ref.namespace, system.ref.name);
      const domain = this.systemDomains.get(system.key);
      if (domain !== undefined) generated['domain'] = domain;
      else if (!system.target) {
        this.issue(
          entity,
          'ref.unresolved',
          'info',
          ['spec', 'system'],
          `system ${formatRef(system.ref)} is not among the imported files, so the domain label is unknown`,
        );
      }
    }
    const annotations: Record<string, string> = {};
    if (entity.kind === 'Component') {
      const parent = this.refOne(entity, ['spec', 'subcomponentOf'], RULES.component);
      if (parent) annotations['backstage.io/subcomponent-of'] = formatRef(parent.ref);
    }
    return {
      apiVersion: API_VERSION,
      kind: 'Service',
      metadata: this.metadataOf(entity, {
        title: this.string(entity, ['metadata', 'title']),
        generatedLabels: generated,
        extraAnnotations: annotations,
      }),
      spec,
    };
  }

  private mapTeam(entity: BackstageEntity): TeamManifestOut {
    const spec: TeamManifestOut['spec'] = {};
    const parent = this.refOne(entity, ['spec', 'parent'], RULES.group);
    const parentFromChildren = this.parentFromChildren.get(entity.key);
    if (parent) {
      if (!parent.target) {
        this.issue(
          entity,
          'ref.unresolved',
          'warning',
          ['spec', 'parent'],
          `parent group ${formatRef(parent.ref)} is not among the imported files; Sextant will need a Team named "${this.nameOf(parent)}"`,
        );
      }
      if (parentFromChildren !== undefined && parentFromChildren !== parent.key) {
        this.issue(
          entity,
          'entity.field',
          'warning',
          ['spec', 'parent'],
          `the parent is ${formatRef(parent.ref)}, but ${formatRef(refOf(this.byKey.get(parentFromChildren)!))} lists this group among its children; the parent field wins`,
        );
      }
      spec.parent = this.nameOf(parent);
    } else if (parentFromChildren !== undefined && this.names.has(parentFromChildren)) {
      spec.parent = this.names.get(parentFromChildren)!;
    }

    const members = [...(this.members.get(entity.key)?.values() ?? [])]
      .map((user) => {
        const email = user.target && this.profile(user.target, 'email');
        return email ? { name: user.ref.name, email } : user.ref.name;
      })
      .sort((a, b) => memberName(a).localeCompare(memberName(b)));
    if (members.length > 0) spec.members = members;

    const onCall: { schedule?: string; email?: string } = {};
    const schedule = this.onCallSchedule(entity);
    if (schedule !== undefined) onCall.schedule = schedule;
    const email = this.profile(entity, 'email');
    if (email !== undefined) onCall.email = email;
    if (Object.keys(onCall).length > 0) spec.onCall = onCall;

    const chat = this.linksAsWritten(entity).find((link) =>
      /chat|slack/i.test(`${link.type ?? ''} ${link.icon ?? ''}`),
    );
    if (chat) spec.chat = chat.url;

    const generated: Record<string, string> = {};
    const type = this.string(entity, ['spec', 'type']);
    if (type !== undefined) generated['type'] = type;
    // A Group's display name lives in spec.profile; metadata.title, when given, wins.
    const title = this.string(entity, ['metadata', 'title']) ?? this.profile(entity, 'displayName');
    return {
      apiVersion: API_VERSION,
      kind: 'Team',
      metadata: this.metadataOf(entity, { title, generatedLabels: generated, extraAnnotations: {} }),
      spec,
    };
  }

  /**
   * The owning Team. Backstage owners default to kind Group and may be Users; Sextant
   * owners are Teams, so a User owner is replaced by the user's only group, if it has one.
   */
  private ownerOf(entity: BackstageEntity): string | undefined {
    if (entity.spec['owner'] === undefined) {
      this.issue(
        entity,
        'entity.field',
        'error',
        ['spec'],
        `${formatRef(refOf(entity))} has no spec.owner; Sextant services need an owning team, so it was skipped`,
      );
      return undefined;
    }
    const skipped = `${formatRef(refOf(entity))} was skipped, since Sextant services need an owning team`;
    const owner = this.resolve(entity, ['spec', 'owner'], entity.spec['owner'], RULES.owner, skipped);
    if (!owner) return undefined;
    if (owner.ref.kind.toLowerCase() === 'group') {
      if (!owner.target) {
        this.issue(
          entity,
          'ref.unresolved',
          'warning',
          ['spec', 'owner'],
          `owner ${formatRef(owner.ref)} is not among the imported files; Sextant will need a Team named "${this.nameOf(owner)}"`,
        );
      }
      return this.nameOf(owner);
    }
    const groups = (this.userGroups.get(owner.key) ?? []).filter((key) => this.names.has(key));
    if (groups.length === 1) {
      const team = this.names.get(groups[0]!)!;
      this.issue(
        entity,
        'owner.user',
        'warning',
        ['spec', 'owner'],
        `owner ${formatRef(owner.ref)} is a User; Sextant owners are teams, so the owner is their only group, "${team}"`,
      );
      return team;
    }
    const name = sextantNameFor(owner.ref.namespace, owner.ref.name);
    const why =
      groups.length === 0
        ? 'who belongs to no imported group'
        : `who belongs to ${groups.length} groups (${groups.map((key) => this.names.get(key)).join(', ')}); choose one`;
    this.issue(
      entity,
      'owner.user',
      'warning',
      ['spec', 'owner'],
      `owner ${formatRef(owner.ref)} is a User ${why}; Sextant will need a Team named "${name}"`,
    );
    return name;
  }

  /** Direct dependsOn, then reverse dependencyOf, then the providers of consumed APIs. */
  private dependenciesOf(entity: BackstageEntity): Dependency[] {
    const self = this.names.get(entity.key)!;
    const out: Dependency[] = [];
    const seen = new Set<string>([self]);
    this.refList(entity, ['spec', 'dependsOn'], RULES.dependsOn).forEach((target, index) => {
      const path = ['spec', 'dependsOn', index];
      if (target.key === entity.key) {
        this.issue(
          entity,
          'entity.field',
          'warning',
          path,
          `${formatRef(refOf(entity))} lists itself in dependsOn; dropped`,
        );
        return;
      }
      if (!target.target) {
        this.issue(
          entity,
          'ref.unresolved',
          'warning',
          path,
          `${formatRef(target.ref)} is not among the imported files; Sextant will need a Service named "${this.nameOf(target)}"`,
        );
      }
      const name = this.nameOf(target);
      if (!seen.has(name)) out.push(name);
      seen.add(name);
    });
    for (const target of this.reverseDependencies.get(entity.key) ?? []) {
      const name = this.names.get(target);
      if (name === undefined || seen.has(name)) continue;
      seen.add(name);
      out.push(name);
    }
    this.refList(entity, ['spec', 'consumesApis'], RULES.api).forEach((api, index) => {
      const providers = (this.providers.get(api.key) ?? []).filter(
        (key) => key !== entity.key && this.names.has(key),
      );
      if (providers.length === 0) {
        const why = api.target
          ? 'no imported Component lists it in providesApis'
          : 'it is not among the imported files and no imported Component provides it';
        this.issue(
          entity,
          'api.no-provider',
          'warning',
          ['spec', 'consumesApis', index],
          `API ${formatRef(api.ref)} is consumed, but ${why}; no dependency was added`,
        );
        return;
      }
      for (const provider of providers) {
        const name = this.names.get(provider)!;
        if (seen.has(name)) continue;
        seen.add(name);
        out.push({ service: name, description: `consumes API ${formatRef(api.ref)}` });
      }
    });
    return out;
  }

  private tierOf(entity: BackstageEntity): Tier {
    for (const field of ['annotations', 'labels'] as const) {
      const map = entity.metadata[field];
      if (!isRecord(map)) continue;
      for (const key of this.tierKeys) {
        const value = map[key];
        if (value === undefined) continue;
        const tier = parseTier(String(value));
        if (tier) return tier;
        this.issue(
          entity,
          'tier.invalid',
          'warning',
          ['metadata', field, key],
          `tier "${String(value)}" is not one of ${Object.keys(TIERS).join(', ')} (or 1-4); using "${this.defaultTier}"`,
        );
        return this.defaultTier;
      }
    }
    // A Resource becomes a Service (in Sextant a database is a service with an owner and
    // SLOs), and Backstage has no notion of tier, so this is where the user hears of both.
    const resource =
      entity.kind === 'Resource'
        ? ' (a Resource becomes a Service: databases, queues and buckets are services in Sextant)'
        : '';
    this.issue(
      entity,
      'tier.default',
      'info',
      ['metadata', 'name'],
      `${formatRef(refOf(entity))}${resource} states no tier (annotation or label ${this.tierKeys.join(' or ')}), so it is "${this.defaultTier}"; review it, since the tier sets paging and severities`,
    );
    return this.defaultTier;
  }

  /** Backstage's well-known lifecycles map one to one; others keep Sextant's default (production). */
  private lifecycleOf(entity: BackstageEntity): Lifecycle | undefined {
    const value = this.string(entity, ['spec', 'lifecycle']);
    if (value === undefined) {
      this.issue(
        entity,
        'lifecycle.unmapped',
        'warning',
        ['spec'],
        `${formatRef(refOf(entity))} has no spec.lifecycle; Sextant assumes production`,
      );
      return undefined;
    }
    const lower = value.toLowerCase();
    if (lower === 'experimental' || lower === 'production' || lower === 'deprecated' || lower === 'beta')
      return lower;
    this.issue(
      entity,
      'lifecycle.unmapped',
      'warning',
      ['spec', 'lifecycle'],
      `lifecycle "${value}" is not experimental, production or deprecated; Sextant assumes production (edit spec.lifecycle if it is experimental, beta or deprecated)`,
    );
    return undefined;
  }

  /**
   * On-call from the annotations of the PagerDuty and Opsgenie Backstage plugins.
   * Neither is in Backstage's core well-known annotations list; both plugins document them.
   */
  private onCallSchedule(entity: BackstageEntity): string | undefined {
    const annotations = isRecord(entity.metadata['annotations']) ? entity.metadata['annotations'] : {};
    const pagerDuty = annotations['pagerduty.com/service-id'];
    if (typeof pagerDuty === 'string' && pagerDuty !== '') return `pagerduty:${pagerDuty}`;
    const opsgenie = annotations['opsgenie.com/team'];
    if (typeof opsgenie === 'string' && opsgenie !== '') return `opsgenie:${opsgenie}`;
    return undefined;
  }

  private metadataOf(
    entity: BackstageEntity,
    extra: {
      title: string | undefined;
      generatedLabels: Record<string, string>;
      extraAnnotations: Record<string, string>;
    },
  ): MetadataOut {
    const metadata: MetadataOut = { name: this.names.get(entity.key)! };
    if (extra.title !== undefined) metadata.title = extra.title;
    const description = this.string(entity, ['metadata', 'description']);
    if (description !== undefined) metadata.description = description;

    const labels = this.stringMap(entity, 'labels');
    const generated = { ...extra.generatedLabels };
    this.list(entity, ['metadata', 'tags']).forEach((tag, index) => {
      if (typeof tag !== 'string' || tag === '') {
        this.issue(
          entity,
          'entity.field',
          'warning',
          ['metadata', 'tags', index],
          'a tag must be a non-empty string; skipped',
        );
        return;
      }
      generated[`tag-${tag.toLowerCase()}`] = 'true';
    });
    for (const [key, value] of Object.entries(generated)) {
      const existing = labels[key];
      if (existing !== undefined && existing !== value) {
        this.issue(
          entity,
          'label.conflict',
          'warning',
          ['metadata', 'labels', key],
          `label "${key}" is "${existing}" in Backstage, so the generated value "${value}" was not set`,
        );
        continue;
      }
      labels[key] = value;
    }
    if (Object.keys(labels).length > 0) metadata.labels = sortedRecord(labels);

    const annotations = { ...this.stringMap(entity, 'annotations'), ...extra.extraAnnotations };
    annotations[ORIGINAL_REF_ANNOTATION] = formatRef(refOf(entity));
    metadata.annotations = sortedRecord(annotations);

    const links = this.linksOf(entity, annotations);
    if (links.length > 0) metadata.links = links;
    return metadata;
  }

  /**
   * Links as written, with a URL that parses; the others are reported, once per entity,
   * since a Group's links are read both for its chat channel and for its metadata.
   */
  private linksAsWritten(entity: BackstageEntity): RawLink[] {
    const known = this.rawLinks.get(entity.key);
    if (known) return known;
    const out: RawLink[] = [];
    this.list(entity, ['metadata', 'links']).forEach((link, index) => {
      const url = isRecord(link) ? link['url'] : undefined;
      if (typeof url !== 'string' || !URL.canParse(url)) {
        this.issue(
          entity,
          'link.invalid',
          'warning',
          ['metadata', 'links', index],
          'a link needs a url that is an absolute URL; skipped',
        );
        return;
      }
      const entry: RawLink = { url };
      for (const key of ['title', 'icon', 'type'] as const) {
        const value = (link as Record<string, unknown>)[key];
        if (typeof value === 'string' && value !== '') entry[key] = value;
      }
      out.push(entry);
    });
    this.rawLinks.set(entity.key, out);
    return out;
  }

  private linksOf(
    entity: BackstageEntity,
    annotations: Record<string, string>,
  ): NonNullable<MetadataOut['links']> {
    const valid = this.linksAsWritten(entity);
    const links: NonNullable<MetadataOut['links']> = valid.map((link) => ({
      url: link.url,
      ...(link.title !== undefined ? { title: link.title } : {}),
      type: linkType(link.type, link.icon),
    }));
    // backstage.io/source-location is `url:<target>` (well-known annotations); offer it as the repo link.
    const source = annotations['backstage.io/source-location'];
    if (source?.startsWith('url:')) {
      const url = source.slice('url:'.length);
      if (URL.canParse(url) && !links.some((link) => link.url === url))
        links.push({ url, title: 'Source', type: 'repo' });
    }
    return links;
  }

  // ---------------------------------------------------------------------------
  // Field access, each problem reported once where the field is read

  /**
   * Parses and checks one reference; a bad one is reported with `consequence` (what
   * happens to it) and gives undefined.
   */
  private resolve(
    entity: BackstageEntity,
    path: (string | number)[],
    value: unknown,
    rule: RefRule,
    consequence = 'dropped',
  ): Resolved | undefined {
    const context =
      rule.defaultKind === undefined
        ? { defaultNamespace: entity.namespace }
        : { defaultKind: rule.defaultKind, defaultNamespace: entity.namespace };
    const parsed = parseEntityRef(value, context);
    if (!parsed.ok) {
      const code = parsed.reason === 'missing-kind' ? 'ref.kind' : 'ref.malformed';
      this.issue(entity, code, 'error', path, `${parsed.message}; ${consequence}`);
      return undefined;
    }
    const kind = parsed.ref.kind.toLowerCase();
    if (!rule.kinds.includes(kind)) {
      const field = path.filter((part) => typeof part === 'string').at(-1);
      this.issue(
        entity,
        'ref.kind',
        'error',
        path,
        `${formatRef(parsed.ref)} refers to kind ${parsed.ref.kind}, but ${String(field)} takes ${rule.kinds.join(' or ')} references; ${consequence}`,
      );
      return undefined;
    }
    const key = refKey(parsed.ref);
    const target = this.byKey.get(key);
    return target ? { ref: parsed.ref, key, target } : { ref: parsed.ref, key };
  }

  /** An optional single reference. */
  private refOne(entity: BackstageEntity, path: [string, string], rule: RefRule): Resolved | undefined {
    const value = entity[path[0] as 'spec' | 'metadata'][path[1]];
    if (value === undefined || value === null) return undefined;
    return this.resolve(entity, path, value, rule);
  }

  /** An optional list of references; bad items are reported and dropped. */
  private refList(entity: BackstageEntity, path: [string, string], rule: RefRule): Resolved[] {
    const out: Resolved[] = [];
    this.list(entity, path).forEach((value, index) => {
      const resolved = this.resolve(entity, [...path, index], value, rule);
      if (resolved) out.push(resolved);
    });
    return out;
  }

  private list(entity: BackstageEntity, path: [string, string]): unknown[] {
    const value = entity[path[0] as 'spec' | 'metadata'][path[1]];
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    this.issue(entity, 'entity.field', 'warning', path, `${path.join('.')} must be a list; skipped`);
    return [];
  }

  private string(entity: BackstageEntity, path: [string, string]): string | undefined {
    const value = entity[path[0] as 'spec' | 'metadata'][path[1]];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string') return value;
    this.issue(entity, 'entity.field', 'warning', path, `${path.join('.')} must be a string; skipped`);
    return undefined;
  }

  private profile(entity: BackstageEntity, field: 'email' | 'displayName'): string | undefined {
    const profile = entity.spec['profile'];
    if (!isRecord(profile)) return undefined;
    const value = profile[field];
    return typeof value === 'string' && value !== '' ? value : undefined;
  }

  /** Labels or annotations with scalar values as strings (YAML may read `5` as a number). */
  private stringMap(entity: BackstageEntity, field: 'labels' | 'annotations'): Record<string, string> {
    const value = entity.metadata[field];
    const out: Record<string, string> = {};
    if (value === undefined || value === null) return out;
    if (!isRecord(value)) {
      this.issue(
        entity,
        'entity.field',
        'warning',
        ['metadata', field],
        `metadata.${field} must be a mapping; skipped`,
      );
      return out;
    }
    for (const [key, entry] of Object.entries(value)) {
      if (typeof entry === 'string') out[key] = entry;
      else if (typeof entry === 'number' || typeof entry === 'boolean') out[key] = String(entry);
      else
        this.issue(
          entity,
          'entity.field',
          'warning',
          ['metadata', field, key],
          `${field} values must be strings; "${key}" skipped`,
        );
    }
    return out;
  }

  private issue(
    entity: BackstageEntity,
    code: BackstageIssueCode,
    severity: BackstageSeverity,
    path: (string | number)[],
    message: string,
  ): void {
    this.issues.push(at(entity.source, code, severity, path, message));
  }

  // ---------------------------------------------------------------------------
  // Cycles: Backstage allows them, Sextant does not

  /**
   * Backstage's dependsOn has no hard/soft distinction and allows cycles; Sextant rejects
   * cycles of hard dependencies. Each cycle is broken by marking the edge that closes it
   * (back to its alphabetically first service, as `findCycles` reports it) soft, which
   * is what Sextant's own message suggests, and the user is told which edge to review.
   */
  private breakDependencyCycles(outputs: readonly Output[]): void {
    const services = new Map<string, Output & { manifest: ServiceManifestOut }>();
    for (const output of outputs) {
      if (output.manifest.kind === 'Service')
        services.set(output.manifest.metadata.name, output as Output & { manifest: ServiceManifestOut });
    }
    // Each pass softens one edge per cycle found, so the loop ends within the edge count.
    for (;;) {
      const edges = new Map<string, string[]>();
      for (const [name, { manifest }] of services) {
        edges.set(
          name,
          (manifest.spec.dependsOn ?? [])
            .filter((dependency) => typeof dependency === 'string' || dependency.kind !== 'soft')
            .map((dependency) => (typeof dependency === 'string' ? dependency : dependency.service))
            .filter((target) => services.has(target)),
        );
      }
      const cycles = findCycles(edges);
      if (cycles.length === 0) return;
      for (const cycle of cycles) {
        const first = cycle[0]!;
        const last = cycle[cycle.length - 1]!;
        const closing = services.get(last)!;
        const dependsOn = closing.manifest.spec.dependsOn ?? [];
        const index = dependsOn.findIndex(
          (dependency) => (typeof dependency === 'string' ? dependency : dependency.service) === first,
        );
        const existing = dependsOn[index];
        const description = typeof existing === 'object' ? `${existing.description}; ` : '';
        dependsOn[index] = {
          service: first,
          kind: 'soft',
          description: `${description}soft to break a dependency cycle`,
        };
        this.issue(
          closing.entity,
          'dependency.cycle',
          'warning',
          ['metadata', 'name'],
          `services depend on each other in a cycle (${[...cycle, first].join(' -> ')}), which Sextant rejects for hard dependencies; the edge ${last} -> ${first} was made soft, review it`,
        );
      }
    }
  }

  /** A parent cycle among groups is broken by dropping the parent that closes it. */
  private breakParentCycles(outputs: readonly Output[]): void {
    const teams = new Map<string, Output & { manifest: TeamManifestOut }>();
    for (const output of outputs) {
      if (output.manifest.kind === 'Team')
        teams.set(output.manifest.metadata.name, output as Output & { manifest: TeamManifestOut });
    }
    const edges = new Map<string, string[]>();
    for (const [name, { manifest }] of teams) {
      const parent = manifest.spec.parent;
      edges.set(name, parent !== undefined && teams.has(parent) ? [parent] : []);
    }
    // A team has one parent, so cycles are disjoint and one pass breaks them all.
    for (const cycle of findCycles(edges)) {
      const first = cycle[0]!;
      const last = cycle[cycle.length - 1]!;
      const closing = teams.get(last)!;
      delete closing.manifest.spec.parent;
      this.issue(
        closing.entity,
        'team.parent-cycle',
        'warning',
        ['spec', 'parent'],
        `groups are each other's parents (${[...cycle, first].join(' -> ')}); the parent of ${last} was dropped`,
      );
    }
  }

  // ---------------------------------------------------------------------------
  // Output

  private render(outputs: readonly Output[]): SourceFile[] {
    const documents = outputs.map(({ entity, manifest }) => {
      const document = new Document(manifest);
      const line = entity.source.position(['metadata', 'name']).line;
      document.commentBefore = ` Imported from Backstage ${formatRef(refOf(entity))} (${entity.source.file}:${line}).`;
      return { manifest, text: document.toString({ lineWidth: 0 }) };
    });
    if (this.layout === 'kind') {
      const byKind = (kind: 'Service' | 'Team') =>
        documents
          .filter((document) => document.manifest.kind === kind)
          .sort((a, b) => a.manifest.metadata.name.localeCompare(b.manifest.metadata.name))
          .map((document) => document.text)
          .join('---\n');
      return [
        { path: 'services.yaml', text: byKind('Service') },
        { path: 'teams.yaml', text: byKind('Team') },
      ].filter((file) => file.text !== '');
    }
    return documents
      .map((document) => ({
        path: `${document.manifest.kind === 'Service' ? 'services' : 'teams'}/${document.manifest.metadata.name}.yaml`,
        text: document.text,
      }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }
}

function sextantKind(entity: BackstageEntity): 'Service' | 'Team' | undefined {
  if (entity.kind === 'Component' || entity.kind === 'Resource') return 'Service';
  if (entity.kind === 'Group') return 'Team';
  return undefined;
}

function refOf(entity: BackstageEntity): EntityRef {
  return { kind: entity.kind, namespace: entity.namespace, name: entity.name };
}

/** Sextant tiers by name, or by number with 1 the most critical (`1`, `tier1`, `tier-1`). */
export function parseTier(value: string): Tier | undefined {
  const lower = value.trim().toLowerCase();
  if (Object.hasOwn(TIERS, lower)) return lower as Tier;
  const numbered = /^(?:tier[-_ ]?)?([1-4])$/.exec(lower);
  if (!numbered) return undefined;
  return (['critical', 'high', 'medium', 'low'] as const)[Number(numbered[1]) - 1];
}

/**
 * Backstage link types and icons are free-form; the common ones map onto Sextant's
 * link types, the rest are `other`.
 */
export function linkType(type: string | undefined, icon: string | undefined): LinkType {
  const text = `${type ?? ''} ${icon ?? ''}`.toLowerCase();
  if (text.includes('runbook')) return 'runbook';
  if (text.includes('dashboard')) return 'dashboard';
  if (/chat|slack/.test(text)) return 'chat';
  if (/\bdocs?\b|documentation|techdocs/.test(text)) return 'docs';
  if (/repo|source|github|gitlab|bitbucket/.test(text)) return 'repo';
  return 'other';
}

function memberName(member: string | { name: string }): string {
  return typeof member === 'string' ? member : member.name;
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
