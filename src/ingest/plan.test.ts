import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { buildCatalog } from '../catalog/index.ts';
import { compileIngestPlan, type Route } from './index.ts';

/** Services that all select `http_requests_total`, told apart by `job` (or not at all). */
function catalogText(jobs: readonly string[]): string {
  const services = jobs.map(
    (job, i) => `---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: svc-${i}}
spec:
  owner: t
  tier: high
  slis:
    - name: availability
      kind: ratio
      bad: {selector: 'http_requests_total{job="${job}",code=~"5.."}'}
      total: {selector: 'http_requests_total{job="${job}"}'}
  slos:
    - {name: availability, sli: availability, objectivePercent: 99.9, window: 28d}
`,
  );
  return `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: t}
spec: {onCall: {email: t@example.com}}
${services.join('')}---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: any-job}
spec:
  owner: t
  tier: high
  slis:
    - name: errors
      kind: ratio
      bad: {selector: 'http_requests_total{job=~"a.*",code="500"}'}
      total: {selector: 'http_requests_total{code="500"}'}
  slos:
    - {name: errors, sli: errors, objectivePercent: 99, window: 28d}
`;
}

function planOf(jobs: readonly string[]) {
  const built = buildCatalog([{ path: 'catalog.yaml', text: catalogText(jobs) }]);
  assert.ok(built.catalog, JSON.stringify(built.issues));
  return compileIngestPlan(built.catalog);
}

const names = (routes: readonly Route[]) => routes.map((route) => `${route.sli.id}:${route.role}`);

describe('ingest plan candidates', () => {
  test('a metric many services select is narrowed to the job of the series, plus routes any job can match', () => {
    const plan = planOf(['api', 'web', 'auth']);
    const labels = { __name__: 'http_requests_total', job: 'web', code: '500' };
    assert.equal(plan.routesFor('http_requests_total').length, 8);
    assert.deepEqual(names(plan.candidates(labels)), [
      'svc-1/availability:bad',
      'svc-1/availability:total',
      'any-job/errors:bad',
      'any-job/errors:total',
    ]);
    // A job no route names leaves only the routes that do not test job for equality.
    assert.deepEqual(names(plan.candidates({ ...labels, job: 'other' })), [
      'any-job/errors:bad',
      'any-job/errors:total',
    ]);
    assert.deepEqual(plan.candidates({ __name__: 'unknown_metric', job: 'api' }), []);
  });

  test('candidates never lose a route that matches (property)', () => {
    const jobs = ['api', 'web', 'auth', 'a-team', ''];
    const plan = planOf(jobs.filter((job) => job !== ''));
    fc.assert(
      fc.property(
        fc.record({
          job: fc.option(fc.constantFrom(...jobs), { nil: undefined }),
          code: fc.constantFrom('200', '500', '503'),
        }),
        ({ job, code }) => {
          const labels: Record<string, string> = { __name__: 'http_requests_total', code };
          if (job !== undefined) labels['job'] = job;
          const matching = (routes: readonly Route[]) =>
            names(routes.filter((route) => route.matches(labels)));
          assert.deepEqual(
            matching(plan.candidates(labels)),
            matching(plan.routesFor('http_requests_total')),
          );
        },
      ),
    );
  });
});
