/**
 * Child process of `bench/catalog.ts`: reads and validates a catalog directory through
 * the same path as `sextant validate`, in a fresh process so that its peak RSS is the
 * validation's alone, and reports time and memory to the parent.
 *
 * usage: node bench/support/catalog-child.ts DIR
 */

import { loadCatalogFromPaths } from '../../src/catalog-files/index.ts';
import { cpuMsSince, peakRssMb, reportToParent } from '../harness.ts';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: node bench/support/catalog-child.ts DIR');
// Modules are loaded: this is what a process that validates nothing costs.
const baselineRssMb = peakRssMb();
const cpuAtStart = process.cpuUsage();
const startedAt = performance.now();
const { build, files, problems } = await loadCatalogFromPaths([dir]);
const ms = performance.now() - startedAt;
reportToParent({
  ms,
  cpuMs: cpuMsSince(cpuAtStart),
  baselineRssMb,
  peakRssMb: peakRssMb(),
  heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
  files: files.length,
  problems: problems.length,
  valid: build.valid,
  services: build.catalog.services.size,
});
