// The environment contract between the platform and a build script (odmd serve's deployer,
// libs/reconcile/src/deployer.cc, and the generated workflows set these variables).

/** Where variables are read from: `process.env` by default, any plain record in tests. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

export const ENV_BUILD_ID = 'ODMD_build_id';
export const ENV_REV_REF = 'ODMD_rev_ref';
export const ENV_ACCOUNT = 'ODMD_awsAccount';
export const ENV_REGION = 'ODMD_awsRegion';
export const ENV_ENVER_ID = 'ODMD_enver_id';
export const ENV_STACK_NAMES = 'ODMD_stack_names';
export const ENV_PRODUCTS = 'ODMD_products';
export const ENV_CONSUMER_PREFIX = 'ODMD_consumer_';

/**
 * The variable that carries consumer `name`'s value: `ODMD_consumer_` + the name with
 * every character outside [A-Za-z0-9_] turned into '_' (as the platform's ConsumerVariable).
 */
export function consumerVariable(name: string): string {
  return ENV_CONSUMER_PREFIX + name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** The value of `name`; an Error naming the variable when it is unset or empty. */
export function requireVariable(env: EnvSource, name: string): string {
  const value = env[name];
  if (value === undefined) {
    throw new Error(
      `odmd: environment variable ${name} is not set; the platform sets it for a build script ` +
        '(set it by hand to run the app outside the platform, see sdk/cdk/README.md)',
    );
  }
  if (value.trim() === '') {
    throw new Error(`odmd: environment variable ${name} is empty`);
  }
  return value;
}

/** A space-separated list; an Error naming the variable when it is unset (empty is allowed). */
export function requireList(env: EnvSource, name: string): string[] {
  const value = env[name];
  if (value === undefined) {
    throw new Error(
      `odmd: environment variable ${name} is not set; the platform sets it for a build script ` +
        '(set it by hand to run the app outside the platform, see sdk/cdk/README.md)',
    );
  }
  return value.split(' ').filter((part) => part !== '');
}
