import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { parse } from 'yaml';
import { buildCatalog } from '../catalog/index.ts';
import { initCommand } from './cmd-init.ts';
import { EXIT, type Io, UsageError } from './io.ts';

const TEAM = `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: payments}
spec:
  onCall: {schedule: payments-primary}
`;
const LEDGER = `apiVersion: sextant.dev/v1
kind: Service
metadata: {name: ledger}
spec:
  owner: payments
  tier: high
  slis:
    - {name: requests, kind: events}
  slos:
    - {name: requests, sli: requests, objectivePercent: 99.9}
`;

interface Session {
  io: Io;
  stdout: () => string;
  stderr: () => string;
  /** Every question the command asked, in order. */
  questions: string[];
}

/** An Io rooted at `cwd`; with `answers`, a terminal that answers questions in order. */
function session(cwd: string, answers?: string[]): Session {
  let stdout = '';
  let stderr = '';
  const questions: string[] = [];
  const io: Io = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    cwd,
    env: {},
  };
  if (answers) {
    const queue = [...answers];
    io.prompt = async (question) => {
      questions.push(question);
      const answer = queue.shift();
      if (answer === undefined) throw new Error(`unexpected question: ${question}`);
      return answer;
    };
  }
  return { io, stdout: () => stdout, stderr: () => stderr, questions };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sextant-init-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A catalog directory `catalog/` holding the payments team and its ledger service. */
async function withCatalog(): Promise<void> {
  await mkdir(join(dir, 'catalog'));
  await writeFile(join(dir, 'catalog', 'payments.yaml'), `${TEAM}---\n${LEDGER}`);
}

const FLAGS = ['checkout', '--owner', 'payments', '--tier', 'high', '--archetype', 'http-service'];

describe('sextant init', () => {
  test('with every flag it writes catalog/NAME.yaml and prints next steps', async () => {
    const s = session(dir);
    const code = await initCommand.run(FLAGS, s.io);
    assert.equal(code, EXIT.ok, s.stderr());
    const text = await readFile(join(dir, 'catalog', 'checkout.yaml'), 'utf8');
    assert.equal(parse(text).spec.tier, 'high');
    assert.match(s.stdout(), /Wrote catalog\/checkout\.yaml/);
    assert.match(s.stdout(), /Next steps/);
    assert.match(s.stdout(), /Owner and dependencies were not checked/);
  });

  test('without a terminal, missing values are a usage error (exit 2) naming the flags', async () => {
    const s = session(dir);
    await assert.rejects(initCommand.run(['checkout'], s.io), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /--owner, --tier, --archetype/);
      return true;
    });
    assert.equal(await exists(join(dir, 'catalog')), false);
  });

  test('--yes asks nothing and defaults the tier to medium and the archetype to http-service', async () => {
    const s = session(dir, []);
    const code = await initCommand.run(['checkout', '--owner', 'payments', '--yes'], s.io);
    assert.equal(code, EXIT.ok, s.stderr());
    assert.deepEqual(s.questions, []);
    const manifest = parse(await readFile(join(dir, 'catalog', 'checkout.yaml'), 'utf8'));
    assert.equal(manifest.spec.tier, 'medium');
    assert.equal(manifest.metadata.annotations['sextant.dev/archetype'], 'http-service');
  });

  test('an invalid flag value is a usage error with a suggestion', async () => {
    const s = session(dir);
    await assert.rejects(
      initCommand.run([...FLAGS, '--tier', 'hihg'], s.io),
      /--tier: tier "hihg".*Did you mean "high"/,
    );
  });

  test('an existing file is not overwritten without --force', async () => {
    await mkdir(join(dir, 'catalog'));
    const file = join(dir, 'catalog', 'checkout.yaml');
    await writeFile(file, '# mine\n');
    const refused = session(dir);
    assert.equal(await initCommand.run(FLAGS, refused.io), EXIT.invalid);
    assert.match(refused.stderr(), /already exists.*--force/);
    assert.equal(await readFile(file, 'utf8'), '# mine\n');

    const forced = session(dir);
    assert.equal(await initCommand.run([...FLAGS, '--force'], forced.io), EXIT.ok, forced.stderr());
    assert.match(await readFile(file, 'utf8'), /kind: Service/);
  });

  test('a name another file already uses for a service is refused before writing', async () => {
    await withCatalog();
    const s = session(dir);
    const code = await initCommand.run(['ledger', ...FLAGS.slice(1)], s.io);
    assert.equal(code, EXIT.invalid);
    assert.match(s.stderr(), /service "ledger" already exists in catalog\/payments\.yaml/);
    assert.equal(await exists(join(dir, 'catalog', 'ledger.yaml')), false);
  });

  test('an --out directory holding manifests is the catalog the result is checked against', async () => {
    await withCatalog();
    const s = session(dir);
    const code = await initCommand.run([...FLAGS, '--depends-on', 'ledger'], s.io);
    assert.equal(code, EXIT.ok, s.stderr());
    assert.match(
      s.stdout(),
      /Validated against the catalog in catalog \(1 other file\(s\)\): 0 error\(s\), 0 warning\(s\)/,
    );
  });

  test('with --catalog, an unknown owner is reported with the closest team and exits 1', async () => {
    await withCatalog();
    const s = session(dir);
    const code = await initCommand.run(
      [
        'checkout',
        '--owner',
        'paymnets',
        '--tier',
        'low',
        '--archetype',
        'worker',
        '--catalog',
        'catalog',
        '--out',
        'new',
      ],
      s.io,
    );
    assert.equal(code, EXIT.invalid);
    assert.match(
      s.stderr(),
      /new\/checkout\.yaml:\d+:\d+: error ref\.unknown-team: .*Did you mean "payments"\?/,
    );
    assert.match(s.stdout(), /Wrote new\/checkout\.yaml/);
    assert.match(s.stdout(), /sextant validate catalog new\n/);
  });

  test('an unreadable --catalog is a usage error', async () => {
    const s = session(dir);
    await assert.rejects(
      initCommand.run([...FLAGS, '--catalog', 'nowhere'], s.io),
      /--catalog nowhere: no such file/,
    );
  });

  test('interactively it asks for what is missing, shows choices and re-asks after a bad answer', async () => {
    await withCatalog();
    const s = session(dir, [
      'Checkout', // invalid name: re-asked
      'checkout',
      'paymnets', // not in the catalog: re-asked with a suggestion
      '', // the only team is the default
      '2', // tier by number: high
      '', // archetype: default http-service
      'Takes the money',
      'ledger, legder', // typo: re-asked
      'ledger',
    ]);
    const code = await initCommand.run([], s.io);
    assert.equal(code, EXIT.ok, s.stderr());
    assert.deepEqual(
      s.questions.map((question) => question.replace(/\(.*\)/, '(...)')),
      [
        'Service name (...): ',
        'Service name (...): ',
        'Owning team [payments]: ',
        'Owning team [payments]: ',
        'Tier [medium]: ',
        'Archetype [http-service]: ',
        'Description (...): ',
        'Depends on, comma-separated (...): ',
        'Depends on, comma-separated (...): ',
      ],
    );
    assert.match(s.stdout(), /1\. critical {2}99\.95 % \/ 99\.9 % +Outage stops users/);
    assert.match(s.stdout(), /Teams in the catalog: payments\n/);
    assert.match(s.stdout(), /Services in the catalog: ledger\n/);
    assert.match(s.stdout(), /1\. http-service {2}HTTP server/);
    assert.match(s.stderr(), /for example "checkout"/);
    assert.match(s.stderr(), /Did you mean "payments"\?/);
    assert.match(s.stderr(), /service "legder" is not in the catalog\. Did you mean "ledger"\?/);
    const text = await readFile(join(dir, 'catalog', 'checkout.yaml'), 'utf8');
    const manifest = parse(text);
    assert.equal(manifest.spec.tier, 'high');
    assert.equal(manifest.metadata.description, 'Takes the money');
    assert.deepEqual(manifest.spec.dependsOn, ['ledger']);
    const catalog = buildCatalog([
      { path: 'payments.yaml', text: `${TEAM}---\n${LEDGER}` },
      { path: 'checkout.yaml', text },
    ]);
    assert.deepEqual(catalog.issues, []);
  });

  test('interactively, flags that were given are not asked again', async () => {
    const s = session(dir, ['', '']);
    const code = await initCommand.run(FLAGS, s.io);
    assert.equal(code, EXIT.ok, s.stderr());
    assert.deepEqual(s.questions, ['Description (optional): ', 'Depends on, comma-separated (optional): ']);
  });

  test('interactively, a file in the way makes init ask for another name', async () => {
    await mkdir(join(dir, 'catalog'));
    await writeFile(join(dir, 'catalog', 'checkout.yaml'), '# mine\n');
    const s = session(dir, ['checkout', 'checkout-v2', '', '']);
    const code = await initCommand.run(FLAGS.slice(1), s.io);
    assert.equal(code, EXIT.ok, s.stderr());
    assert.match(s.stderr(), /catalog\/checkout\.yaml already exists/);
    assert.equal(await exists(join(dir, 'catalog', 'checkout-v2.yaml')), true);
  });

  test('interactively, three bad answers in a row end with a usage error', async () => {
    const s = session(dir, ['A', 'B', 'C']);
    await assert.rejects(initCommand.run([], s.io), (error: unknown) => error instanceof UsageError);
    assert.equal(await exists(join(dir, 'catalog')), false);
  });
});
