// The browser tests' harness: the demo org (scripts/make-demo-org.sh) on a real `odmd serve`
// started here, as scripts/platform-demo.sh does it, plus headless Debian chromium driven by
// playwright-core. Everything it starts is stopped and every temp dir removed by stop(), also
// when a test failed; a process exit kills the server too.
//
// Environment: ODMD_BIN (the odmd binary; CTest sets it), ODMD_ARTIFACTS (screenshots and,
// on failure, the server log; default <build>/artifacts/console next to ODMD_BIN's build),
// ODMD_CHROMIUM (default /usr/bin/chromium), ODMD_E2E_TIMEOUT_S (each wait, default 120),
// ODMD_E2E_KEEP=1 keeps the temp dir.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CONSOLE_DIR = path.join(ROOT, 'web/console');
const TIMEOUT_MS = Number(process.env.ODMD_E2E_TIMEOUT_S || 120) * 1000;

// playwright-core from web/console's node_modules (npm ci --prefix web/console).
export function playwright() {
  const require = createRequire(path.join(CONSOLE_DIR, 'package.json'));
  try {
    return require('playwright-core');
  } catch (e) {
    throw new Error(`playwright-core is not installed in ${CONSOLE_DIR}/node_modules ` +
      `(run scripts/install-deps.sh, which runs npm ci --prefix web/console): ${e.message}`);
  }
}

export function odmdBin() {
  const bin = process.env.ODMD_BIN;
  if (!bin) throw new Error('ODMD_BIN is not set: the path of the odmd binary (CTest sets it)');
  if (!fs.existsSync(bin)) throw new Error(`ODMD_BIN=${bin} does not exist; build first`);
  return path.resolve(bin);
}

export function artifactsDir() {
  const dir = process.env.ODMD_ARTIFACTS ||
    path.resolve(path.dirname(odmdBin()), '../../artifacts/console');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

// The environment of every child: no caller's odmd or git configuration.
function childEnv(extra = {}) {
  const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  delete env.ODMD_STORE;
  delete env.ODMD_API;
  delete env.ODMD_TOKEN;
  return { ...env, ...extra };
}

// Runs a command to its end; resolves {stdout, stderr, ms, endedAt} or rejects with a message
// naming the command, its exit code and its stderr.
export function run(cmd, args, { env = {}, cwd, input } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = execFile(cmd, args, { env: childEnv(env), cwd, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const endedAt = performance.now();
        if (err) {
          reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${err.code}): ` +
            `${stderr || err.message}`));
        } else {
          resolve({ stdout, stderr, ms: endedAt - t0, endedAt });
        }
      });
    if (input !== undefined) child.stdin.end(input);
  });
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Polls `check` (async, truthy = done) every `every` ms until it holds; throws naming `what`
// after the timeout, or at once when `alive()` says the server is gone.
export async function waitFor(what, check, { timeout = TIMEOUT_MS, every = 200, alive } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    if (alive && !alive()) throw new Error(`odmd serve exited while waiting for ${what}`);
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout / 1000}s waiting for ${what}` +
        (last ? ` (last error: ${last.message})` : ''));
    }
    await sleep(every);
  }
}

// GET/POST against the server; resolves {status, headers, json|text}.
export async function http(url, { token, method = 'GET', body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  const res = await fetch(url, { method, headers: h, body });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

// The demo org's repositories: [{src, name}] from examples/platform/repos.txt.
export function demoRepos() {
  return fs.readFileSync(path.join(ROOT, 'examples/platform/repos.txt'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [src, name] = l.split(/\s+/);
      return { src, name };
    });
}

export class Server {
  // Starts `odmd serve` on `stateDir` with `args` (after --listen/--state-dir), waits for
  // api.url and admin.token and for the API to answer.
  static async start(stateDir, args, logPath) {
    const s = new Server();
    s.bin = odmdBin();
    s.stateDir = stateDir;
    s.logPath = logPath;
    fs.mkdirSync(stateDir, { recursive: true });
    const log = fs.openSync(logPath, 'a');
    s.child = spawn(s.bin, ['serve', '--listen', '127.0.0.1:0', '--state-dir', stateDir, ...args],
      { env: childEnv(), stdio: ['ignore', log, log] });
    fs.closeSync(log);
    s.exited = false;
    s.child.on('exit', () => { s.exited = true; });
    s.killOnExit = () => { try { s.child.kill('SIGKILL'); } catch { /* gone */ } };
    process.on('exit', s.killOnExit);
    const alive = () => !s.exited;
    const file = (name) => {
      try {
        return fs.readFileSync(path.join(stateDir, name), 'utf8').trim();
      } catch {
        return '';
      }
    };
    try {
      await waitFor(`odmd serve to write ${stateDir}/api.url and admin.token`,
        () => file('api.url') && file('admin.token'), { alive, every: 50 });
      s.api = file('api.url');
      s.adminToken = file('admin.token');
      await waitFor(`the API at ${s.api} to answer`,
        async () => (await http(`${s.api}/api/health`)).status === 200, { alive, every: 50 });
    } catch (e) {
      await s.stop();
      throw new Error(`${e.message}\n--- ${logPath} ---\n${s.logTail()}`);
    }
    s.storeUrl = `sqlite:${path.join(stateDir, 'state.db')}`;
    return s;
  }

  alive() {
    return !this.exited;
  }

  logTail(lines = 40) {
    try {
      return fs.readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  // The odmd CLI as a client of this server (admin token unless `token` is given).
  cli(args, { token } = {}) {
    return run(this.bin, args, { env: { ODMD_API: this.api, ODMD_TOKEN: token || this.adminToken } });
  }

  async cliJson(args, opts) {
    const { stdout } = await this.cli([...args, '--json'], opts);
    return JSON.parse(stdout);
  }

  // A new token for `principal` (viewer, admin, enver:<id>) straight from the store serve uses.
  async issueToken(principal) {
    const { stdout } = await run(this.bin, ['token', 'issue', principal, '--store', this.storeUrl]);
    const token = stdout.trim();
    if (!token) throw new Error(`odmd token issue ${principal} printed no token`);
    return token;
  }

  get(route, token = this.adminToken) {
    return http(this.api + route, { token });
  }

  async stop() {
    if (this.child && !this.exited) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => { if (!this.exited) this.child.kill('SIGKILL'); }, 10000);
      if (!this.exited) await once(this.child, 'exit').catch(() => {});
      clearTimeout(timer);
    }
    if (this.killOnExit) process.off('exit', this.killOnExit);
  }
}

// The demo org on a fresh server, bootstrapped: every enver deployed, nothing queued.
export class Demo {
  static async start() {
    const d = new Demo();
    d.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'odmd-console-e2e-'));
    d.org = path.join(d.tmp, 'org');
    d.work = path.join(d.tmp, 'work');
    fs.mkdirSync(d.work);
    try {
      await run(path.join(ROOT, 'scripts/make-demo-org.sh'), [d.org]);
      const repoArgs = [];
      for (const r of demoRepos()) {
        repoArgs.push('--repo', `${r.name}=${path.join(d.org, 'repos', r.name + '.git')}`);
      }
      d.server = await Server.start(path.join(d.tmp, 'state'),
        [...repoArgs, '--contracts-repo', 'demo/contracts'], path.join(d.tmp, 'serve.log'));
      await d.waitBootstrapped();
      d.viewerToken = await d.server.issueToken('viewer');
    } catch (e) {
      await d.stop({ keepLog: true });
      throw e;
    }
    return d;
  }

  get api() {
    return this.server.api;
  }

  async deployments() {
    const r = await this.server.get('/api/deployments?limit=1000');
    if (r.status !== 200) throw new Error(`GET /api/deployments: ${r.status} ${r.text}`);
    return r.json.deployments;
  }

  // Fails at once when a deployment failed (its log would explain, and waiting would not).
  async idle() {
    const deps = await this.deployments();
    const failed = deps.filter((x) => x.state === 'failed');
    if (failed.length) {
      throw new FatalError('deployments failed: ' +
        failed.map((x) => `${x.id} ${x.enver}: ${x.reason}`).join('; '));
    }
    return deps.every((x) => x.state !== 'queued' && x.state !== 'running');
  }

  async waitIdle(what) {
    await this.wait(what, () => this.idle());
  }

  // waitFor with the server's liveness, and a failed deployment ends the wait at once.
  async wait(what, check, opts = {}) {
    let fatal;
    try {
      return await waitFor(what, async () => {
        try {
          return await check();
        } catch (e) {
          if (e instanceof FatalError) fatal = e;
          throw e;
        }
      }, { alive: () => this.server.alive() && !fatal, ...opts });
    } catch (e) {
      throw fatal ? new Error(`${what}: ${fatal.message}`) : e;
    }
  }

  // As platform-demo.sh: every enver succeeded and nothing queued, networking redeployed on
  // the real logBucket (the cycle's second round), then idle again.
  async waitBootstrapped() {
    const bootstrapped = async () => {
      const r = await this.server.get('/api/envers');
      if (r.status !== 200) return false;
      const envers = r.json.envers;
      return envers.length >= 8 && envers.every((e) => e.status === 'succeeded') &&
        (await this.idle());
    };
    await this.wait('the bootstrap (every enver deployed, nothing queued)', bootstrapped);
    await this.wait('networking/b..main on the real logBucket', async () => {
      const r = await this.server.get('/api/envers/networking/b..main');
      return r.status === 200 && r.json.consumers.every((c) => !c.placeholder);
    });
    await this.wait('the platform to go idle after the bootstrap', bootstrapped);
  }

  // A git working copy of the demo repo `name` (owner/name), with an identity.
  async checkout(name) {
    const dir = path.join(this.work, name.replace('/', '-'));
    await run('git', ['clone', '-q', path.join(this.org, 'repos', name + '.git'), dir]);
    await run('git', ['-C', dir, 'config', 'user.name', 'A Developer']);
    await run('git', ['-C', dir, 'config', 'user.email', 'dev@demo.invalid']);
    return dir;
  }

  // Stops the server and removes the temp dir; keepLog copies the server log to the
  // artifacts dir first.
  async stop({ keepLog = false } = {}) {
    if (this.server) await this.server.stop();
    if (keepLog && this.server) {
      try {
        fs.copyFileSync(this.server.logPath, path.join(artifactsDir(), 'serve.log'));
      } catch { /* best effort */ }
    }
    if (this.tmp && process.env.ODMD_E2E_KEEP !== '1') {
      fs.rmSync(this.tmp, { recursive: true, force: true });
    }
  }
}

class FatalError extends Error {}

// Headless Debian chromium (never a downloaded browser). launch() gives it a fresh profile.
export async function launchBrowser() {
  const { chromium } = playwright();
  return chromium.launch({
    executablePath: process.env.ODMD_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
