/**
 * The catalog after validation: every default applied, every duration in minutes, every
 * objective a ratio. This is what the rest of Sextant reads; the YAML shapes stay in
 * `schema.ts`.
 */

import type { Budgeting, MaintenanceWindow, SloDefinition, SloWindow } from '../slo/index.ts';
import type { LIFECYCLES, TIERS } from './schema.ts';
import type { SeriesSelector } from './selector.ts';
import type { SourceLocator } from './source.ts';

export type Tier = keyof typeof TIERS;
export type Lifecycle = keyof typeof LIFECYCLES;
export type SliSeverity = 's1' | 's2' | 's3' | 's4';

/** A metric source after parsing: a selector (matchable against ingested series) or PromQL. */
export type Source =
  | { kind: 'selector'; text: string; selector: SeriesSelector }
  | { kind: 'promql'; expression: string };

interface SliBase {
  /** `service/sli`, unique in the catalog. */
  id: string;
  name: string;
  service: string;
  description?: string;
  significantLabels: string[];
  userImpacting: boolean;
  severity: SliSeverity;
  team: string;
}

export interface RatioSli extends SliBase {
  kind: 'ratio';
  /** Exactly one of good and bad is set. */
  good?: Source;
  bad?: Source;
  total: Source;
}

export interface LatencySli extends SliBase {
  kind: 'latency';
  histogram?: { text: string; selector: SeriesSelector };
  promql?: { satisfied: string; tolerated?: string; total: string };
  satisfiedSeconds: number;
  toleratedSeconds?: number;
}

export interface ThresholdSli extends SliBase {
  kind: 'threshold';
  gauge: Source;
  operator: '<' | '<=' | '>' | '>=';
  bound: number;
  aggregation: 'max' | 'min' | 'avg' | 'last';
}

export interface EventsSli extends SliBase {
  kind: 'events';
}

export type Sli = RatioSli | LatencySli | ThresholdSli | EventsSli;

/** An SLO: the engine's definition plus how it was written, for display and export. */
export interface Slo {
  /** `service/slo` or `journey/slo`. */
  id: string;
  name: string;
  /** Owner entity: a service or a journey. */
  owner: { kind: 'service' | 'journey'; name: string };
  /** SLI id (`service/sli`) for service SLOs; undefined for journeys (their parts are the SLI). */
  sli?: string;
  description?: string;
  objectiveRatio: number;
  windowText: string;
  definition: SloDefinition;
}

export interface SaturationPoint {
  name: string;
  description?: string;
  utilization: Source;
  softRatio: number;
  hardRatio: number;
  horizontallyScalable: boolean;
  forecast: { historyMinutes: number; horizonMinutes: number; method: 'linear' | 'holt-winters' };
}

export interface Link {
  url: string;
  title?: string;
  type: 'runbook' | 'dashboard' | 'repo' | 'docs' | 'chat' | 'other';
}

interface EntityBase {
  name: string;
  title: string;
  description?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  links: Link[];
  source?: SourceLocator;
}

export interface Service extends EntityBase {
  owner: string;
  tier: Tier;
  lifecycle: Lifecycle;
  dependsOn: { service: string; kind: 'hard' | 'soft'; description?: string }[];
  instances: { tenants?: string[]; environments?: string[]; selector?: Record<string, string> };
  paths: string[];
  slis: Sli[];
  slos: Slo[];
  saturationPoints: SaturationPoint[];
}

export interface Team extends EntityBase {
  parent?: string;
  members: { name: string; email?: string; role?: string }[];
  onCall?: { schedule?: string; email?: string; phone?: string; url?: string };
  chat?: string;
}

export interface Journey extends EntityBase {
  owner: string;
  parts: { sli: string; weight: number }[];
  slos: Slo[];
}

export interface Tenant extends EntityBase {
  environment: string;
  region?: string;
  dedicated: boolean;
  productLine?: string;
}

/** A whole catalog, keyed by name within each kind. */
export interface Catalog {
  services: Map<string, Service>;
  teams: Map<string, Team>;
  journeys: Map<string, Journey>;
  tenants: Map<string, Tenant>;
}

export type { Budgeting, MaintenanceWindow, SloWindow };
