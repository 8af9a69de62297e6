/** JSON log lines on stderr: one object per line with time, level and message. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A structured logger; fields must be JSON-serialisable. */
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/** Writes JSON lines to `write` (stderr by default), dropping levels below `minimum`. */
export function jsonLogger(
  minimum: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line),
  clock: () => number = Date.now,
): Logger {
  const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  return (level, message, fields = {}) => {
    if (order[level] < order[minimum]) return;
    write(`${JSON.stringify({ time: new Date(clock()).toISOString(), level, msg: message, ...fields })}\n`);
  };
}
