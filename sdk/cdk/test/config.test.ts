import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ENV_CONFIG, OdmdEnver, enverConfig } from '../src/index';
import { enverEnv } from './fixtures';

interface ClusterSettings {
  readonly cidr: string;
  readonly clusterName: string;
  readonly domains: readonly string[];
}

function namesConfig(message: RegExp): (err: unknown) => boolean {
  return (err: unknown) =>
    err instanceof Error && err.message.includes('ODMD_config') && message.test(err.message);
}

describe('enverConfig / OdmdEnver.config', () => {
  it('parses ODMD_config as the platform sets it, typed as the app says', () => {
    const env = enverEnv({
      [ENV_CONFIG]: '{"cidr":"10.1.0.0/16","clusterName":"main","domains":["example.com"]}',
    });
    const settings = enverConfig<ClusterSettings>(env);
    assert.equal(settings.clusterName, 'main');
    assert.deepEqual(settings.domains, ['example.com']);
    const e = new OdmdEnver(env);
    assert.deepEqual(e.config(), {
      cidr: '10.1.0.0/16',
      clusterName: 'main',
      domains: ['example.com'],
    });
    assert.equal(e.config<ClusterSettings>().cidr, '10.1.0.0/16');
  });

  it('is {} when the platform has none to give ({}) or the variable is absent or blank', () => {
    assert.deepEqual(enverConfig(enverEnv({ [ENV_CONFIG]: '{}' })), {});
    assert.deepEqual(enverConfig(enverEnv()), {});
    assert.deepEqual(enverConfig(enverEnv({ [ENV_CONFIG]: '  ' })), {});
    assert.deepEqual(new OdmdEnver(enverEnv()).config(), {});
  });

  it('reads process.env by default', () => {
    const before = process.env[ENV_CONFIG];
    try {
      process.env[ENV_CONFIG] = '{"zone":"z1"}';
      assert.deepEqual(enverConfig(), { zone: 'z1' });
    } finally {
      if (before === undefined) delete process.env[ENV_CONFIG];
      else process.env[ENV_CONFIG] = before;
    }
  });

  for (const [text, got] of [
    ['[1,2]', /must be a JSON object, got an array/],
    ['null', /must be a JSON object, got null/],
    ['"main"', /must be a JSON object, got a string/],
    ['42', /must be a JSON object, got a number/],
    ['{"a":', /is not valid JSON/],
  ] as const) {
    it(`names ODMD_config when it holds ${text}`, () => {
      const env = enverEnv({ [ENV_CONFIG]: text });
      assert.throws(() => enverConfig(env), namesConfig(got));
      // The enver itself still reads: only asking for the config fails.
      const e = new OdmdEnver(env);
      assert.throws(() => e.config(), namesConfig(got));
    });
  }
});
