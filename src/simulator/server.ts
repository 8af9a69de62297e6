/**
 * A scrape target serving the simulator's `/metrics`, advanced to the request time of an
 * injectable clock (so tests can run hours of traffic in compressed time).
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTENT_TYPES } from '../exposition/index.ts';
import { toError } from '../util/index.ts';
import { type MetricsFormat, renderMetrics } from './render.ts';
import type { Simulator } from './simulator.ts';

/** Options for {@link startMetricsServer}. */
export interface MetricsServerOptions {
  simulator: Simulator;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port (read it from `url`). */
  port?: number;
  /** Milliseconds since the epoch at each request; default `Date.now`. */
  clock?: () => number;
  /** Write the clock's time on every sample. */
  timestamps?: boolean;
}

/** A running server. */
export interface MetricsServer {
  /** Base URL, e.g. `http://127.0.0.1:43123`; metrics are at `${url}/metrics`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Picks the exposition format for an `Accept` header: OpenMetrics when it is acceptable
 * with a quality at least that of the text format (RFC 9110 §12.5.1), else Prometheus
 * text 0.0.4. Prometheus sends both, OpenMetrics preferred.
 * @example negotiateFormat('application/openmetrics-text;version=1.0.0;q=0.5,text/plain;q=0.4') // 'openmetrics'
 */
export function negotiateFormat(accept: string | undefined): MetricsFormat {
  if (!accept) return 'prometheus';
  let openmetrics = 0;
  let text = 0;
  for (const range of accept.split(',')) {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    let quality = 1;
    for (const parameter of parameters) {
      const [name, value] = parameter.split('=').map((part) => part.trim());
      if (name === 'q') quality = Number(value);
    }
    if (!Number.isFinite(quality)) continue;
    if (type === 'application/openmetrics-text') openmetrics = Math.max(openmetrics, quality);
    else if (type === 'text/plain' || type === 'text/*' || type === '*/*') text = Math.max(text, quality);
  }
  return openmetrics > 0 && openmetrics >= text ? 'openmetrics' : 'prometheus';
}

/** Starts serving `GET /metrics`; resolves once listening. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const clock = options.clock ?? Date.now;
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('not found: metrics are served at /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      response.end('method not allowed: use GET\n');
      return;
    }
    const format = negotiateFormat(request.headers.accept);
    let body: string;
    try {
      const state = options.simulator.simulate(clock());
      body = renderMetrics(state, format, options.timestamps ? { timestamps: true } : {});
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`simulation failed: ${toError(error).message}\n`);
      return;
    }
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[format],
      'content-length': Buffer.byteLength(body),
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  };
  const server = createServer(handle);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
