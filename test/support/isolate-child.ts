/** Child side of `runIsolated`: receives the call, imports the module, signals ready, calls, reports. */

import { readFileSync } from 'node:fs';
import type { ChildMessage } from './isolate.ts';

const send = (message: ChildMessage) => process.send!(message);

process.once('message', async (request: { module: string; exportName: string; args: unknown[] }) => {
  const loaded = (await import(request.module)) as Record<string, unknown>;
  const fn = loaded[request.exportName];
  if (typeof fn !== 'function')
    throw new Error(`${request.module} exports no function ${request.exportName}`);
  send({ type: 'ready' });
  const startedAt = performance.now();
  // VmHWM, not getrusage's maxRSS: that one survives exec and would report the parent's size.
  const maxRssMb = () => {
    try {
      const status = readFileSync('/proc/self/status', 'utf8');
      return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
    } catch {
      return process.resourceUsage().maxRSS / 1024;
    }
  };
  try {
    const value: unknown = await fn(...request.args);
    send({ type: 'returned', value, ms: performance.now() - startedAt, maxRssMb: maxRssMb() });
  } catch (thrown) {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    const ms = performance.now() - startedAt;
    send({ type: 'threw', error: { name: error.name, message: error.message }, ms, maxRssMb: maxRssMb() });
  }
});
