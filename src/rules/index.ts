/** Rules for other systems, rendered from the catalog: Prometheus recording and alerting rules. */

export { type PrometheusRules, type PrometheusRulesOptions, renderPrometheusRules } from './prometheus.ts';
