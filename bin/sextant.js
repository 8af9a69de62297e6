#!/usr/bin/env node
// The `sextant` bin. Sources are TypeScript run by Node's type stripping (Node >= 24).
import { processIo, runCli } from '../src/cli/main.ts';

process.exitCode = await runCli(process.argv.slice(2), processIo());
