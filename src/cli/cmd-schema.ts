/** `sextant schema`: the manifest JSON Schema, for editors (yaml-language-server) and CI. */

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { manifestJsonSchema } from '../catalog/index.ts';
import { type Command, EXIT, parseFlags } from './io.ts';

export const schemaCommand: Command = {
  name: 'schema',
  summary: 'Print (or write) the JSON Schema of sextant.dev/v1 manifests.',
  usage: `sextant schema [--out FILE]

  Add to the top of a manifest for completion in editors:
  # yaml-language-server: $schema=../schema/sextant.v1.json`,
  async run(args, io) {
    const { values } = parseFlags(args, { out: { type: 'string' } }, false);
    const text = `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`;
    if (values.out === undefined) {
      io.stdout(text);
    } else {
      await mkdir(dirname(values.out), { recursive: true });
      await writeFile(values.out, text);
      io.stderr(`wrote ${values.out}\n`);
    }
    return EXIT.ok;
  },
};
