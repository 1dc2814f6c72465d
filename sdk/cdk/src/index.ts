// @odmd/cdk: the odmd SDK for CDK apps (sdk/cdk/README.md).
export {
  ENV_ACCOUNT,
  ENV_BUILD_ID,
  ENV_CONSUMER_PREFIX,
  ENV_ENVER_ID,
  ENV_PRODUCTS,
  ENV_REGION,
  ENV_REV_REF,
  ENV_STACK_NAMES,
  type EnvSource,
  consumerVariable,
} from './env';
export { ENV_CONFIG, enverConfig } from './config';
export { OdmdEnver } from './enver';
export {
  DEFAULT_PHYSICAL_NAME_MAX,
  type PhysicalNameOptions,
  physicalName,
  sanitizeStackName,
} from './names';
export { type NameRef, refName } from './ref';
export { type RevRef, type RevType, parseRevRef } from './rev';
export {
  DEPLOY_PARAMETER_NAMES,
  DEPLOY_PARAMETERS_OUTPUT_KEY,
  type DeployParameterName,
  OdmdStack,
  type OdmdStackProps,
  PRODUCTS_OUTPUT_KEY,
} from './stack';
