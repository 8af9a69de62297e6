/**
 * Writes a Prometheus rule file by hand rather than through a YAML library, so comments
 * sit exactly where a reader needs them and the output is byte-for-byte deterministic.
 * Strings are written as JSON strings, which are valid YAML double-quoted scalars;
 * expressions as literal block scalars.
 */

/** One recording or alerting rule, with comment lines written above it. */
export interface RuleNode {
  comments: string[];
  record?: string;
  alert?: string;
  expr: string;
  /** Prometheus duration the condition must hold, e.g. `2m`; none fires at once. */
  forText?: string;
  labels: [string, string][];
  annotations: [string, string][];
}

/** One rule group (Prometheus evaluates a group's rules in order at one timestamp). */
export interface GroupNode {
  comments: string[];
  name: string;
  interval: string;
  rules: RuleNode[];
}

function comment(lines: readonly string[], indent: string): string {
  return lines.map((line) => (line === '' ? `${indent}#\n` : `${indent}# ${line}\n`)).join('');
}

function block(text: string, indent: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? '\n' : `${indent}${line}\n`))
    .join('');
}

function mapping(key: string, entries: readonly [string, string][], indent: string): string {
  if (entries.length === 0) return '';
  let out = `${indent}${key}:\n`;
  for (const [name, value] of entries) out += `${indent}  ${name}: ${JSON.stringify(value)}\n`;
  return out;
}

/** The rule file: a header comment, then `groups:`. */
export function writeRuleFile(header: readonly string[], groups: readonly GroupNode[]): string {
  let out = comment(header, '');
  out += groups.length === 0 ? 'groups: []\n' : 'groups:\n';
  for (const group of groups) {
    out += '\n';
    out += comment(group.comments, '  ');
    out += `  - name: ${JSON.stringify(group.name)}\n`;
    out += `    interval: ${group.interval}\n`;
    out += '    rules:\n';
    for (const rule of group.rules) {
      out += comment(rule.comments, '      ');
      out +=
        rule.record !== undefined ? `      - record: ${rule.record}\n` : `      - alert: ${rule.alert}\n`;
      out += `        expr: |-\n${block(rule.expr, '          ')}`;
      if (rule.forText !== undefined) out += `        for: ${rule.forText}\n`;
      out += mapping('labels', rule.labels, '        ');
      out += mapping('annotations', rule.annotations, '        ');
    }
  }
  return out;
}
