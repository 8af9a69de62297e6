import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONTENT_TYPES, contentTypeFormat, contentTypeVersion } from './index.ts';

test('the OpenMetrics content type names the openmetrics format', () => {
  assert.equal(
    contentTypeFormat('application/openmetrics-text; version=1.0.0; charset=utf-8'),
    'openmetrics',
  );
  assert.equal(contentTypeFormat('application/openmetrics-text;version=1.0.0'), 'openmetrics');
  assert.equal(contentTypeFormat('Application/OpenMetrics-Text; Version=0.0.1'), 'openmetrics');
});

test('text/plain (version 0.0.4 or none) names the prometheus format', () => {
  assert.equal(contentTypeFormat('text/plain; version=0.0.4'), 'prometheus');
  assert.equal(contentTypeFormat('text/plain; charset=utf-8'), 'prometheus');
  assert.equal(contentTypeFormat('text/plain'), 'prometheus');
});

test('other or missing content types name no format', () => {
  assert.equal(contentTypeFormat(undefined), undefined);
  assert.equal(contentTypeFormat(null), undefined);
  assert.equal(contentTypeFormat(''), undefined);
  assert.equal(contentTypeFormat('text/html; charset=utf-8'), undefined);
  assert.equal(
    contentTypeFormat('application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily'),
    undefined,
  );
});

test('the version parameter is read with or without quotes', () => {
  assert.equal(contentTypeVersion('application/openmetrics-text; version="1.0.0"'), '1.0.0');
  assert.equal(contentTypeVersion('text/plain; charset=utf-8; VERSION=0.0.4'), '0.0.4');
  assert.equal(contentTypeVersion('text/plain'), undefined);
});

test('the content types Sextant sends name their own formats', () => {
  assert.equal(contentTypeFormat(CONTENT_TYPES.openmetrics), 'openmetrics');
  assert.equal(contentTypeFormat(CONTENT_TYPES.prometheus), 'prometheus');
});
