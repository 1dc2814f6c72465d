// @odmd/contracts: write an odmd organisation's contracts in TypeScript (README.md).

export {
  Build,
  Consumer,
  ConsumingEnver,
  Contracts,
  ContractsEnver,
  Enver,
  ImageEnver,
  Product,
  consumerRef,
  parseConsumerRef,
} from './contracts';
export type {
  AccountRef,
  ConsumableBy,
  ConsumeOptions,
  ConsumingBuild,
  ConsumingKind,
  ContractsBuild,
  ImageBuild,
  ProductWithChildren,
  RepoRef,
} from './contracts';
export { MANIFEST_SCHEMA, canonicalize, manifestDigest, writeManifest } from './manifest';
export { SrcRevRef, enverFromEnv } from './rev';
export type * from './types';
export { defaultEphemeral } from './types';
export { ContractsError, findOdmd, validateOrg } from './validate';
export type { ValidateOptions, Violation } from './validate';
