// Builds the console into an output folder: the esbuild bundle of src/main.js (app.js,
// minified), src/boot.js on its own (boot.js, the page's first script: it starts the graph's
// request before app.js loads), index.html and app.css. No network: everything comes from
// node_modules. Usage: node build.mjs [--outdir DIR]   (default: dist/ beside this file)
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  let outdir = join(here, 'dist');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--outdir' && i + 1 < argv.length) {
      outdir = resolve(argv[++i]);
    } else if (a.startsWith('--outdir=')) {
      outdir = resolve(a.slice('--outdir='.length));
    } else {
      console.error(`build.mjs: unknown argument '${a}' (usage: node build.mjs [--outdir DIR])`);
      process.exit(2);
    }
  }
  return { outdir };
}

const { outdir } = parseArgs(process.argv.slice(2));
mkdirSync(outdir, { recursive: true });
// Stale files of an earlier build would be embedded too: start from an empty folder.
for (const f of readdirSync(outdir)) rmSync(join(outdir, f), { recursive: true, force: true });

// The bundles are embedded into odmd: minified, no source maps, to keep the binary small.
const common = { bundle: true, minify: true, sourcemap: false, target: ['es2020'],
  legalComments: 'none', logLevel: 'warning' };
for (const [entry, out, format] of [['main.js', 'app.js', 'esm'], ['boot.js', 'boot.js', 'iife']]) {
  try {
    await esbuild.build({ ...common, entryPoints: [join(here, 'src', entry)], format,
      outfile: join(outdir, out) });
  } catch (e) {
    console.error(`build.mjs: esbuild failed for ${join(here, 'src', entry)}`);
    process.exit(1);
  }
}
copyFileSync(join(here, 'index.html'), join(outdir, 'index.html'));
copyFileSync(join(here, 'app.css'), join(outdir, 'app.css'));
console.log(`build.mjs: console built into ${outdir}`);
