/** Plain-text tables for terminal output. */

/** Renders rows as aligned columns; numbers (and cells starting with a digit) align right. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const numeric = header.map(
    (_, column) =>
      rows.length > 0 &&
      rows.every((row) => /^[-+]?[\d.]/.test(row[column] ?? '') || (row[column] ?? '') === '-'),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => {
        const pad = ' '.repeat(Math.max(0, widths[column]! - visibleLength(cell)));
        return numeric[column] ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

function visibleLength(text: string): number {
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}
