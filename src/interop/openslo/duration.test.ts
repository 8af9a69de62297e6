import assert from 'node:assert/strict';
import { test } from 'node:test';
import { minutesToShorthand, parseShorthand, shorthandMinutes } from './duration.ts';

test('OpenSLO shorthands m, h, d and w are exact minutes; 4w is 40,320 minutes', () => {
  assert.equal(shorthandMinutes(parseShorthand('4w')!), 4 * 7 * 24 * 60);
  assert.equal(shorthandMinutes(parseShorthand('90m')!), 90);
});

test('months, quarters and years have no fixed length in minutes', () => {
  assert.deepEqual(parseShorthand('1M'), { count: 1, unit: 'M' });
  assert.equal(shorthandMinutes(parseShorthand('1Q')!), undefined);
});

test('units are case-sensitive and a number alone is not a shorthand', () => {
  assert.equal(parseShorthand('1q'), undefined);
  assert.equal(parseShorthand('28'), undefined);
  assert.equal(parseShorthand('0d'), undefined);
});

test('minutes format in the largest exact unit of days, hours and minutes', () => {
  assert.equal(minutesToShorthand(28 * 1440), '28d');
  assert.equal(minutesToShorthand(360), '6h');
  assert.equal(minutesToShorthand(90), '90m');
});
