/**
 * Hot reload of the catalog: a file-system watch (recursive, debounced) plus a slow poll
 * of the files' sizes and modification times, because watches miss changes on some file
 * systems (network mounts, editors that replace files, ConfigMap symlink swaps).
 */

import { stat } from 'node:fs/promises';

// Not `import { watch } from 'node:fs'`: an ESM import of a built-in reads every export,
// and node:fs's lazy ones load modules the unit never uses (see cli/io.ts).
const { watch } = process.getBuiltinModule('node:fs');

import { listManifestFiles } from './index.ts';

/** Calls `onChange` (at most once per `debounceMs`) when catalog files change. Returns a stop function. */
export function watchCatalog(
  path: string,
  onChange: () => Promise<unknown>,
  options: { debounceMs?: number; pollMs?: number; onError?: (error: Error) => void } = {},
): () => void {
  const debounceMs = options.debounceMs ?? 300;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let lastFingerprint: string | undefined;
  const fire = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        lastFingerprint = await fingerprint(path);
        await onChange();
      } catch (error) {
        options.onError?.(error as Error);
      } finally {
        running = false;
        if (again) {
          again = false;
          fire();
        }
      }
    }, debounceMs);
    timer.unref();
  };
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    watcher = watch(path, { recursive: true, persistent: false }, (_event, name) => {
      if (name === null || /\.ya?ml$/i.test(String(name)) || !String(name).includes('.')) fire();
    });
    watcher.on('error', (error) => options.onError?.(error));
  } catch (error) {
    options.onError?.(error as Error);
  }
  void fingerprint(path).then((value) => {
    lastFingerprint = value;
  });
  const poll = setInterval(async () => {
    const current = await fingerprint(path).catch(() => undefined);
    if (current !== undefined && lastFingerprint !== undefined && current !== lastFingerprint) fire();
  }, options.pollMs ?? 30_000);
  poll.unref();
  return () => {
    if (timer) clearTimeout(timer);
    clearInterval(poll);
    watcher?.close();
  };
}

/** Names, sizes and modification times of every manifest file: changes when any file does. */
async function fingerprint(path: string): Promise<string> {
  const { files } = await listManifestFiles([path]);
  const parts: string[] = [];
  for (const file of files) {
    const info = await stat(file).catch(() => undefined);
    parts.push(`${file}:${info?.size ?? -1}:${info?.mtimeMs ?? -1}`);
  }
  return parts.join('|');
}
