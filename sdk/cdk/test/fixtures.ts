// The environment the platform gives a build script, for tests.
import type { EnvSource } from '../src/env';

export function enverEnv(overrides: Readonly<Record<string, string | undefined>> = {}): EnvSource {
  const base: Record<string, string | undefined> = {
    ODMD_build_id: 'orderSvc',
    ODMD_rev_ref: 'b..main',
    ODMD_enver_id: 'orderSvc/b..main',
    ODMD_awsAccount: '111111111111',
    ODMD_awsRegion: 'us-east-1',
    ODMD_stack_names: 'orderSvc--main orderSvc-share-nat--main',
    ODMD_products: 'bucketName queueUrl region',
    ODMD_consumer_vpcId: 'vpc-123',
    ODMD_consumer_log_dest: 'arn:aws:logs:dest',
  };
  const out: Record<string, string | undefined> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

export const CLONE_REV = 'b..main-_b..feat1';

export function cloneEnv(): EnvSource {
  return enverEnv({
    ODMD_rev_ref: CLONE_REV,
    ODMD_enver_id: `orderSvc/${CLONE_REV}`,
    ODMD_stack_names: 'orderSvc--feat1 orderSvc-share-nat--feat1',
  });
}
