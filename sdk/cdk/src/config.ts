// The enver's configuration (docs/manifest.md, "Config"): the platform gives the build the
// build's `config` with the enver's top-level keys laid over it as compact JSON in ODMD_config
// (`{}` when neither declares one; clones get their origin's).
import { type EnvSource } from './env';

export const ENV_CONFIG = 'ODMD_config';

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * The enver's configuration parsed from `ODMD_config` (`process.env` by default): `{}` when
 * the variable is absent or blank (outside the platform; the platform always sets it). An
 * Error naming ODMD_config when it is not JSON or not a JSON object. `T` describes the
 * settings the app expects; the value is not checked against it.
 */
export function enverConfig<T extends object = Record<string, unknown>>(
  env: EnvSource = process.env,
): T {
  const text = env[ENV_CONFIG];
  if (text === undefined || text.trim() === '') return {} as T;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`odmd: environment variable ${ENV_CONFIG} is not valid JSON (${reason})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(
      `odmd: environment variable ${ENV_CONFIG} must be a JSON object, got ${kindOf(parsed)}`,
    );
  }
  return parsed as T;
}
