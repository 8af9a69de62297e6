/**
 * Where a JSON text stops being JSON (RFC 8259), for error messages: V8's `JSON.parse`
 * errors give a position only for some mistakes. Iterative, so any nesting depth is fine.
 */

const ARRAY = 0;
const OBJECT = 1;

/**
 * The offset of the first character that makes `text` invalid JSON (`text.length` when
 * it ends too early), or `undefined` when it is valid.
 * @example jsonErrorOffset('{"a": [}') // 7
 */
export function jsonErrorOffset(text: string): number | undefined {
  const n = text.length;
  const stack: number[] = [];
  let i = 0;
  let expectValue = true;

  const skipSpace = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else return;
    }
  };
  const string = (): boolean => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else {
          i++;
          return false;
        }
      } else i++;
    }
    return false;
  };
  const digits = (): boolean => {
    const start = i;
    while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    return i > start;
  };
  const number = (): boolean => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (!digits()) return false;
    if (text[i] === '.') {
      i++;
      if (!digits()) return false;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!digits()) return false;
    }
    return true;
  };
  const key = (): boolean => {
    skipSpace();
    if (text[i] !== '"' || !string()) return false;
    skipSpace();
    if (text[i] !== ':') return false;
    i++;
    return true;
  };

  for (;;) {
    skipSpace();
    if (expectValue) {
      if (i >= n) return i;
      const c = text[i]!;
      if (c === '{' || c === '[') {
        i++;
        skipSpace();
        if (text[i] === (c === '{' ? '}' : ']')) {
          i++;
          expectValue = false;
          continue;
        }
        stack.push(c === '{' ? OBJECT : ARRAY);
        if (c === '{' && !key()) return i;
        continue;
      }
      if (c === '"') {
        if (!string()) return i;
      } else if (c === '-' || (c >= '0' && c <= '9')) {
        if (!number()) return i;
      } else {
        const literal = ['true', 'false', 'null'].find((word) => text.startsWith(word, i));
        if (literal === undefined) return i;
        i += literal.length;
      }
      expectValue = false;
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return i < n ? i : undefined;
    const c = text[i];
    if (c === ',') {
      i++;
      if (top === OBJECT && !key()) return i;
      expectValue = true;
    } else if (c === (top === OBJECT ? '}' : ']')) {
      i++;
      stack.pop();
    } else return i;
  }
}
