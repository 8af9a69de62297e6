/**
 * A streaming RFC 4180 tokenizer: text goes in as chunks of any size, records come out with
 * the line and column where each field starts. Quoted fields may hold commas, doubled quotes
 * (`""`) and line breaks; records end at CRLF, LF or CR. Malformed quoting is reported, not
 * thrown, and the tokenizer resynchronises at the next line break.
 */

/** One record: its fields and where each starts (1-based line and column). */
export interface CsvRecord {
  fields: string[];
  line: number;
  columns: number[];
  /** Set when the record's quoting is malformed; its fields are then best-effort. */
  syntaxError?: CsvSyntaxError;
}

/** A quoting error, located at the offending character. */
export interface CsvSyntaxError {
  line: number;
  column: number;
  message: string;
}

const START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

/**
 * Incremental tokenizer: `push` chunks, then `end`; every complete record is passed to
 * `onRecord` as soon as its line ends, so memory stays bounded by one record.
 * @example const t = new CsvTokenizer((r) => rows.push(r)); t.push('a,"b,c"\n'); t.end();
 */
export class CsvTokenizer {
  readonly #onRecord: (record: CsvRecord) => void;
  #state = START;
  #field = '';
  #fields: string[] = [];
  #columns: number[] = [];
  #recordLine = 1;
  #fieldLine = 1;
  #fieldColumn = 1;
  #quotedFields = 0;
  #line = 1;
  #column = 1;
  #afterCr = false;
  #first = true;
  #error: CsvSyntaxError | undefined;

  constructor(onRecord: (record: CsvRecord) => void) {
    this.#onRecord = onRecord;
  }

  #fail(message: string): void {
    this.#error ??= { line: this.#line, column: this.#column, message };
  }

  #endField(): void {
    this.#fields.push(this.#field);
    this.#columns.push(this.#fieldColumn);
    this.#field = '';
  }

  #endRecord(): void {
    const blank = this.#fields.length === 1 && this.#fields[0] === '' && this.#quotedFields === 0;
    if (!blank) {
      const record: CsvRecord = { fields: this.#fields, line: this.#recordLine, columns: this.#columns };
      if (this.#error !== undefined) record.syntaxError = this.#error;
      this.#onRecord(record);
    }
    this.#fields = [];
    this.#columns = [];
    this.#quotedFields = 0;
    this.#error = undefined;
    this.#state = START;
  }

  #startField(): void {
    this.#fieldLine = this.#line;
    this.#fieldColumn = this.#column;
    if (this.#fields.length === 0) this.#recordLine = this.#line;
  }

  /** Feeds the next chunk of text. */
  push(chunk: string): void {
    let text = chunk;
    if (this.#first && text.length > 0) {
      this.#first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (this.#afterCr) {
        this.#afterCr = false;
        if (c === '\n') continue;
      }
      // Fast path: copy a run of ordinary characters of an open field in one slice.
      if (this.#state === UNQUOTED || this.#state === QUOTED) {
        const quoted = this.#state === QUOTED;
        let j = i;
        while (j < text.length) {
          const code = text.charCodeAt(j);
          if (code === 34 || code === 10 || code === 13 || (code === 44 && !quoted)) break;
          j++;
        }
        if (j > i) {
          this.#field += text.slice(i, j);
          this.#column += j - i;
          i = j - 1;
          continue;
        }
      }
      const lineBreak = c === '\n' || c === '\r';
      switch (this.#state) {
        case START:
          this.#startField();
          if (c === '"') {
            this.#state = QUOTED;
            this.#quotedFields++;
          } else if (c === ',') this.#endField();
          else if (lineBreak) {
            this.#endField();
            this.#endRecord();
          } else {
            this.#field += c;
            this.#state = UNQUOTED;
          }
          break;
        case UNQUOTED:
          if (c === ',') {
            this.#endField();
            this.#state = START;
          } else if (lineBreak) {
            this.#endField();
            this.#endRecord();
          } else {
            if (c === '"') {
              this.#fail(
                'a quote inside an unquoted field: quote the whole field and double inner quotes ("")',
              );
            }
            this.#field += c;
          }
          break;
        case QUOTED:
          if (c === '"') this.#state = QUOTE_IN_QUOTED;
          else this.#field += c;
          break;
        case QUOTE_IN_QUOTED:
          if (c === '"') {
            this.#field += '"';
            this.#state = QUOTED;
          } else if (c === ',') {
            this.#endField();
            this.#state = START;
          } else if (lineBreak) {
            this.#endField();
            this.#endRecord();
          } else {
            this.#fail('text after a closing quote: double a quote inside a quoted field ("")');
            this.#field += c;
            this.#state = UNQUOTED;
          }
          break;
      }
      if (lineBreak) {
        this.#line++;
        this.#column = 1;
        if (c === '\r') this.#afterCr = true;
      } else this.#column++;
    }
  }

  /** Ends the input: flushes the last record (a missing final line break is fine). */
  end(): void {
    if (this.#state === QUOTED) {
      this.#error ??= {
        line: this.#fieldLine,
        column: this.#fieldColumn,
        message: 'a quoted field is never closed: add the closing quote',
      };
    }
    if (this.#state !== START || this.#fields.length > 0) {
      this.#endField();
      this.#endRecord();
    }
  }
}
