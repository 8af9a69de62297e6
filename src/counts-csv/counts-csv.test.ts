import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CountsCsvParser, parseCountsCsv, parseIsoMinute } from './counts-csv.ts';

const HEADER = 'sli,labels,minute,good,total\n';
const SLIS = new Map<string, readonly string[]>([
  ['web/requests', ['route_id']],
  ['web/latency', []],
]);
// 2026-11-01T10:05Z: Date.UTC(2026, 10, 1, 10, 5) / 60,000.
const M1005 = Date.UTC(2026, 10, 1, 10, 5) / 60_000;

function issuesOf(body: string) {
  return parseCountsCsv(HEADER + body, { slis: SLIS }).issues.map(
    (i) => `${i.line}:${i.column} ${i.code} ${i.message}`,
  );
}

describe('ISO minutes', () => {
  test('a UTC minute with or without :00 seconds is one epoch minute', () => {
    assert.deepEqual(parseIsoMinute('2026-11-01T10:05Z'), { ok: true, minute: M1005 });
    assert.deepEqual(parseIsoMinute('2026-11-01T10:05:00Z'), { ok: true, minute: M1005 });
    assert.deepEqual(parseIsoMinute('2026-11-01T10:05:00.000Z'), { ok: true, minute: M1005 });
  });

  test('seconds other than 00 are refused: counts are per whole minute', () => {
    const r = parseIsoMinute('2026-11-01T10:05:30Z');
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /not on a minute boundary/);
  });

  test('offsets and missing zones are refused with the fix: use Z', () => {
    for (const text of ['2026-11-01T10:05+02:00', '2026-11-01T10:05']) {
      const r = parseIsoMinute(text);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.message, /must be in UTC: end it with Z/);
    }
  });

  test('impossible dates are refused', () => {
    for (const text of ['2026-02-30T10:05Z', '2026-11-01T24:00Z', '2026-13-01T00:00Z', 'yesterday']) {
      assert.equal(parseIsoMinute(text).ok, false, text);
    }
  });
});

describe('counts CSV', () => {
  test('valid rows become store writes, labels JSON quoted per RFC 4180', () => {
    const { rows, issues, lastMinute } = parseCountsCsv(
      `${HEADER}web/requests,"{""route_id"":""projects""}",2026-11-01T10:05Z,998,1000\r\nweb/latency,,2026-11-01T10:06:00Z,850.5,900\n`,
      { slis: SLIS },
    );
    assert.deepEqual(issues, []);
    assert.deepEqual(rows, [
      {
        sli: 'web/requests',
        labels: { route_id: 'projects' },
        minute: M1005,
        good: 998,
        total: 1000,
        line: 2,
      },
      { sli: 'web/latency', labels: {}, minute: M1005 + 1, good: 850.5, total: 900, line: 3 },
    ]);
    assert.equal(lastMinute, M1005 + 1);
  });

  test('columns may come in any order', () => {
    const { rows, issues } = parseCountsCsv(
      'total,good,minute,labels,sli\n10,9,2026-11-01T10:05Z,,web/latency\n',
      {
        slis: SLIS,
      },
    );
    assert.deepEqual(issues, []);
    assert.equal(rows[0]!.good, 9);
    assert.equal(rows[0]!.total, 10);
  });

  test('an unknown column is named with a suggestion, and no row is read', () => {
    const r = parseCountsCsv('sli,labels,minute,goood,total\nweb/latency,,2026-11-01T10:05Z,1,1\n');
    assert.deepEqual(
      r.issues.map((i) => `${i.line}:${i.column} ${i.code}`),
      ['1:19 csv.header', '1:1 csv.header'],
    );
    assert.match(r.issues[0]!.message, /unknown column "goood"; did you mean "good"\?/);
    assert.match(r.issues[1]!.message, /missing column good/);
    assert.deepEqual(r.rows, []);
  });

  test('an empty file needs the header', () => {
    assert.match(
      parseCountsCsv('').issues[0]!.message,
      /the file is empty; it needs the header sli,labels,minute,good,total/,
    );
  });

  test('good above total is refused at the good column', () => {
    // web/latency (11) + ',' + '' + ',' (13) + 17-character minute (14-30) + ',' (31): good is at 32.
    assert.deepEqual(issuesOf('web/latency,,2026-11-01T10:05Z,12,10\n'), [
      '2:32 counts.value good (12) exceeds total (10); good counts a subset of total',
    ]);
  });

  test('negative, empty and non-numeric counts each get their own error', () => {
    assert.deepEqual(
      issuesOf('web/latency,,2026-11-01T10:05Z,-1,\nweb/latency,,2026-11-01T10:05Z,1e999,ten\n'),
      [
        '2:32 counts.value good is -1; counts cannot be negative',
        '2:35 counts.value total is empty; write a count such as 998',
        '3:32 counts.value good "1e999" is not a finite decimal number',
        '3:38 counts.value total "ten" is not a finite decimal number',
      ],
    );
  });

  test('a minute off the minute boundary is refused at the minute column', () => {
    assert.deepEqual(issuesOf('web/latency,,2026-11-01T10:05:30Z,1,1\n'), [
      '2:14 counts.minute minute "2026-11-01T10:05:30Z" is not on a minute boundary: counts are per whole minute, so seconds must be 00',
    ]);
  });

  test('bad labels JSON says so and how to quote it', () => {
    const [issue] = issuesOf('web/requests,"{route_id:1}",2026-11-01T10:05Z,1,1\n');
    assert.match(issue!, /^2:14 counts.labels labels is not valid JSON \(.*\); write a JSON object/);
  });

  test('label values must be strings', () => {
    assert.deepEqual(issuesOf('web/requests,"{""route_id"":5}",2026-11-01T10:05Z,1,1\n'), [
      '2:14 counts.labels label route_id must be a string: write "route_id":"5"',
    ]);
  });

  test('labels must be exactly the SLI significant labels', () => {
    assert.deepEqual(
      issuesOf('web/requests,,2026-11-01T10:05Z,1,1\nweb/latency,"{""pod"":""a""}",2026-11-01T10:05Z,1,1\n'),
      [
        '2:14 counts.labels missing label route_id: counts of web/requests are per route_id',
        '3:13 counts.labels label pod is not significant for web/latency; its significant labels are none (leave labels empty)',
      ],
    );
  });

  test('an unknown SLI is refused with the closest known one', () => {
    assert.deepEqual(issuesOf('web/request,,2026-11-01T10:05Z,1,1\n'), [
      '2:1 counts.sli unknown SLI "web/request"; did you mean "web/requests"?',
    ]);
    assert.deepEqual(issuesOf('checkout,,2026-11-01T10:05Z,1,1\n'), [
      '2:1 counts.sli sli "checkout" is not of the form service/sli',
    ]);
  });

  test('unquoted JSON is a quoting error; a row with too many fields points at the first extra one', () => {
    // Unquoted JSON: the quote after '{' (column 14) is the first error of the row.
    assert.deepEqual(issuesOf('web/latency,{"a":1,"b":2},2026-11-01T10:05Z,1,1\n'), [
      '2:14 csv.syntax a quote inside an unquoted field: quote the whole field and double inner quotes ("")',
    ]);
    assert.deepEqual(issuesOf('web/latency,,2026-11-01T10:05Z,1,1,extra\n'), [
      '2:36 csv.field-count the row has 6 field(s) but the header has 5; quote a field that contains commas',
    ]);
  });

  test('every bad row is reported, good rows still parse, and the issue list is capped', () => {
    const body = Array.from(
      { length: 30 },
      (_, i) => `web/latency,,2026-11-01T10:05Z,${i % 2 === 0 ? 5 : 50},10\n`,
    ).join('');
    const rows: unknown[] = [];
    const parser = new CountsCsvParser((row) => rows.push(row), { slis: SLIS, maxIssues: 10 });
    parser.push(HEADER + body);
    parser.end();
    assert.equal(rows.length, 15);
    assert.equal(parser.issueCount, 15);
    assert.equal(parser.issues.length, 10);
  });
});
