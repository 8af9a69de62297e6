import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { listDirectory, readTextFile, writeImportedFiles } from './index.ts';

describe('the disk edge', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sextant-backstage-'));
  after(() => rm(dir, { recursive: true, force: true }));

  test('readTextFile gives undefined for a missing file and for a directory', async () => {
    assert.equal(await readTextFile(join(dir, 'missing.yaml')), undefined);
    assert.equal(await readTextFile(dir), undefined);
  });

  test('listDirectory gives undefined for a file', async () => {
    await writeFile(join(dir, 'plain.txt'), 'x');
    assert.equal(await listDirectory(join(dir, 'plain.txt')), undefined);
    assert.ok((await listDirectory(dir))?.includes('plain.txt'));
  });

  test('writeImportedFiles creates directories and leaves existing files alone unless told to overwrite', async () => {
    const out = join(dir, 'out');
    const first = await writeImportedFiles(out, [{ path: 'services/a.yaml', text: 'one' }]);
    assert.deepEqual(first, { written: [join(out, 'services/a.yaml')], skipped: [] });
    const second = await writeImportedFiles(out, [{ path: 'services/a.yaml', text: 'two' }]);
    assert.deepEqual(second, { written: [], skipped: [join(out, 'services/a.yaml')] });
    assert.equal(await readFile(join(out, 'services/a.yaml'), 'utf8'), 'one');
    await writeImportedFiles(out, [{ path: 'services/a.yaml', text: 'two' }], { overwrite: true });
    assert.equal(await readFile(join(out, 'services/a.yaml'), 'utf8'), 'two');
  });

  test('writeImportedFiles refuses a path that leaves the output directory', async () => {
    await assert.rejects(
      writeImportedFiles(join(dir, 'out'), [{ path: '../escape.yaml', text: 'x' }]),
      /outside/,
    );
  });
});
