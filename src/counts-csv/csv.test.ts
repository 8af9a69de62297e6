import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type CsvRecord, CsvTokenizer } from './csv.ts';

function tokenize(...chunks: string[]): CsvRecord[] {
  const records: CsvRecord[] = [];
  const tokenizer = new CsvTokenizer((r) => records.push(r));
  for (const chunk of chunks) tokenizer.push(chunk);
  tokenizer.end();
  return records;
}

describe('CSV tokenizer (RFC 4180)', () => {
  test('splits fields at commas and records at LF, CRLF and CR', () => {
    assert.deepEqual(
      tokenize('a,b\r\nc,d\ne,f\rg,h').map((r) => r.fields),
      [
        ['a', 'b'],
        ['c', 'd'],
        ['e', 'f'],
        ['g', 'h'],
      ],
    );
  });

  test('a quoted field keeps commas, doubled quotes and line breaks', () => {
    const [record] = tokenize('x,"{""a"":""1,2""}","two\nlines"\n');
    assert.deepEqual(record!.fields, ['x', '{"a":"1,2"}', 'two\nlines']);
  });

  test('each field knows the line and column where it starts', () => {
    const records = tokenize('h1,h2\n"multi\nline",x\nlast,"q"\n');
    assert.deepEqual(
      records.map((r) => [r.line, r.columns]),
      [
        [1, [1, 4]],
        [2, [1, 7]], // x is at column 7 of the line `line",x`
        [4, [1, 6]],
      ],
    );
  });

  test('blank lines, a missing final line break and a byte-order mark are accepted', () => {
    assert.deepEqual(
      tokenize('\ufeffa,b\n\n\r\nc,\n').map((r) => r.fields),
      [
        ['a', 'b'],
        ['c', ''],
      ],
    );
    assert.deepEqual(
      tokenize('a,b').map((r) => r.fields),
      [['a', 'b']],
    );
  });

  test('a quote inside an unquoted field is a syntax error at that character', () => {
    const [record] = tokenize('ab"c,d\n');
    assert.deepEqual(record!.syntaxError, {
      line: 1,
      column: 3,
      message: 'a quote inside an unquoted field: quote the whole field and double inner quotes ("")',
    });
  });

  test('text after a closing quote is a syntax error, and the next line parses again', () => {
    const records = tokenize('"ab"c,d\nok,1\n');
    assert.equal(records[0]!.syntaxError?.column, 5);
    assert.deepEqual(records[1]!.fields, ['ok', '1']);
    assert.equal(records[1]!.syntaxError, undefined);
  });

  test('a quoted field never closed is reported where it opens', () => {
    const [, record] = tokenize('a,b\nc,"open\nmore');
    assert.deepEqual(record!.syntaxError, {
      line: 2,
      column: 3,
      message: 'a quoted field is never closed: add the closing quote',
    });
  });

  test('chunk boundaries anywhere, even inside CRLF or a doubled quote, give the same records', () => {
    const text = 'sli,labels\r\nweb/a,"{""k"":""v,w""}"\r\n"x\r\ny",\r\n';
    const whole = tokenize(text);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: text.length }), { maxLength: 8 }), (cuts) => {
        const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), text.length];
        const chunks = points.slice(1).map((p, i) => text.slice(points[i]!, p));
        assert.deepEqual(tokenize(...chunks), whole);
      }),
    );
  });
});
