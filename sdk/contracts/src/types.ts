// The plain data of an organisation's contracts, in the manifest's own shape
// (docs/manifest.md): what the builders of contracts.ts fill in and what manifest.ts writes.

/** What a build produces and how it is built; the manifest's "kind" values. */
export type BuildKind =
  | 'contracts'
  | 'cdk'
  | 'image'
  | 'cmd'
  | 'networking'
  | 'eks-cluster'
  | 'user-auth';

/** What happens to a consumer enver when a product it consumes gets a new version. */
export type Reaction = 'redeploy' | 'notify' | 'ignore';

/** 'b' for a branch (mutable) enver, 't' for a tag (immutable) one. */
export type RevType = 'b' | 't';

export interface AccountData {
  name: string;
  /** The 12-digit account id. */
  id: string;
}

export interface RepoData {
  owner: string;
  name: string;
  /** GitHub App installation id; 0 when unknown (local repositories). */
  installationId: number | bigint;
}

export interface ProductData {
  /** A name, with child parts separated by '/' (rule R10). */
  name: string;
}

export interface ConsumerData {
  name: string;
  /** Enver id "<build>/<rev>" of the producer. */
  producer: string;
  /** Product name on the producer. */
  product: string;
  /** Used while the producer has no value yet; the only way to break a cycle (rule R8). */
  placeholder?: string;
  reaction: Reaction;
}

/** A JSON value inside a config (docs/manifest.md, Config). */
export type ConfigValue = null | boolean | number | string | ConfigValue[] | ConfigObject;
/** A build's or enver's settings: keys of [A-Za-z0-9_.-]{1,64} at every level (rule R14). */
export interface ConfigObject {
  [key: string]: ConfigValue;
}

export interface EnverData {
  /** "b..<branch>" or "t..<tag>". */
  rev: string;
  account: string;
  region: string;
  buildScript: string;
  workDir: string;
  ephemeral: boolean;
  cloneLimit: number;
  overwriteWorkflow: boolean;
  /** Stack base names in deployment order; empty means the one stack named after the build. */
  stacks: string[];
  /** The enver's own settings; absent (or {}) means none. Clones inherit it. */
  config?: ConfigObject;
  /**
   * The Markdown file describing this enver (the original's enverContextMD), relative to
   * the repository root; absent: ".odmd/ENVER_BASED_SERVICE_CONTEXT_PATTERN.md".
   */
  enverContextMd?: string;
  products: ProductData[];
  consumers: ConsumerData[];
  /**
   * A declared clone (Build.clone()) that has declared no consumer: it consumes what its
   * origin consumes, and the manifest leaves its "consumers" out.
   */
  inheritsConsumers?: boolean;
}

export interface BuildData {
  id: string;
  kind: BuildKind;
  repo: RepoData;
  /** Settings every enver of the build shares; an enver's top-level keys win. */
  config?: ConfigObject;
  /** The original's serviceOverviewMD; absent: ".odmd/ONDEMANDENV_PLATFORM.md". */
  serviceOverviewMd?: string;
  /** The original's serviceContextMD; absent: ".odmd/SERVICE_PHASE_DEVELOPMENT_PATTERN.md". */
  serviceContextMd?: string;
  envers: EnverData[];
}

export interface OrgData {
  /** Organisation name, the manifest's "org". */
  name: string;
  /** Semantic version of the contracts, the manifest's "version". */
  version: string;
  /** Name of the central account; must be in `accounts`. */
  centralAccount: string;
  accounts: AccountData[];
  builds: BuildData[];
}

/** Envers are ephemeral by default except for contracts, networking and user-auth. */
export function defaultEphemeral(kind: BuildKind): boolean {
  return kind !== 'contracts' && kind !== 'networking' && kind !== 'user-auth';
}
