// odmd-contracts synth --entry MODULE --out FILE [--odmd BIN]: loads the contracts a module
// exports, has `odmd validate` check them, and writes the canonical manifest to FILE
// (through a temporary file and a rename). On any violation it prints every one, with the
// builder call that made it, and writes nothing. Exit 0 written, 1 rejected, 2 usage.

import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Contracts } from './contracts';
import { ContractsError } from './validate';

const USAGE =
  'usage: odmd-contracts synth --entry MODULE --out FILE [--odmd BIN]\n' +
  '  MODULE exports (default or `contracts`) a Contracts or a function returning one;\n' +
  '  BIN defaults to $ODMD_BIN, then odmd on PATH';

interface Args {
  entry: string;
  out: string;
  odmd: string | undefined;
}

function parseArgs(argv: readonly string[]): Args | string {
  if (argv[0] !== 'synth') return `unknown command ${JSON.stringify(argv[0] ?? '')}`;
  const values = new Map<string, string>();
  for (let i = 1; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (!['--entry', '--out', '--odmd'].includes(flag)) return `unknown option ${JSON.stringify(flag)}`;
    if (value === undefined) return `${flag} needs a value`;
    values.set(flag, value);
  }
  const entry = values.get('--entry');
  const out = values.get('--out');
  if (entry === undefined) return '--entry MODULE is required';
  if (out === undefined) return '--out FILE is required';
  return { entry, out, odmd: values.get('--odmd') };
}

async function loadContracts(entry: string): Promise<Contracts> {
  const mod = (await import(pathToFileURL(resolve(entry)).href)) as Record<string, unknown>;
  const inner = mod['default'] as Record<string, unknown> | undefined;
  const candidates = [mod['contracts'], inner?.['default'], inner?.['contracts'], inner];
  for (const c of candidates) {
    const value: unknown = typeof c === 'function' ? await (c as () => unknown)() : c;
    if (value instanceof Contracts) return value;
  }
  throw new Error(`${entry} exports no Contracts (default export or "contracts")`);
}

// Through a temporary file and a rename when the directory is writable; otherwise (the
// platform's sandbox makes only $ODMD_MANIFEST_FILE itself writable) into the file.
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EROFS' && code !== 'EACCES' && code !== 'EPERM') throw err;
    writeFileSync(path, text);
    return;
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`odmd-contracts: ${args}\n${USAGE}\n`);
    return 2;
  }
  try {
    const contracts = await loadContracts(args.entry);
    const text = contracts.synth(args.odmd === undefined ? {} : { odmdBin: args.odmd });
    writeAtomically(args.out, text);
    process.stdout.write(`wrote ${args.out}: org ${contracts.name} ${contracts.version}\n`);
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`odmd-contracts: ${message}\n`);
    if (!(err instanceof ContractsError)) process.stderr.write(`no manifest written\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`odmd-contracts: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
