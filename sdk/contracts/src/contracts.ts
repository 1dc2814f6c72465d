// The typed builders an organisation's contracts are written with. Rules that can be types
// are types: a tag enver's consumes() accepts only products of tag envers (rule R3), an
// image enver and a contracts enver have no consumes() at all (rule R6). Every other rule
// is checked by the odmd binary when synth() runs (validate.ts), so there is one
// implementation of the rules.

import { writeManifest } from './manifest';
import { captureSite, recordSite, type Site } from './sites';
import type {
  AccountData,
  BuildData,
  BuildKind,
  ConfigObject,
  ConsumerData,
  EnverData,
  OrgData,
  Reaction,
  RepoData,
  RevType,
} from './types';
import { defaultEphemeral } from './types';
import { synthManifest, validateOrg, type ValidateOptions, type Violation } from './validate';

/** A declared account, by name. */
export interface AccountRef {
  readonly name: string;
  readonly id: string;
}

/** A declared source repository. */
export interface RepoRef {
  readonly owner: string;
  readonly name: string;
  readonly installationId: number | bigint;
}

/** A product of an enver of rev type `T`: what consumers name. */
export class Product<T extends RevType> {
  /** The rev type of the producing enver; what makes rule R3 a type error. */
  readonly revType: T;
  /** Enver id "<build>/<rev>" of the producer. */
  readonly enverId: string;
  /** The product name; a child part is "<parent>/<part>". */
  readonly name: string;

  constructor(revType: T, enverId: string, name: string) {
    this.revType = revType;
    this.enverId = enverId;
    this.name = name;
  }

  /** The store path the platform publishes it under: /odmd-share/<build>/<rev>/<name>. */
  get sharePath(): string {
    return `/odmd-share/${this.enverId}/${this.name}`;
  }
}

/** A product with named child parts (the original's RefProducerProps.children). */
export type ProductWithChildren<T extends RevType, C extends string> = Product<T> & {
  readonly children: { readonly [K in C]: Product<T> };
};

/** Options of consumes(): odmd's names and the original's (defaultIfAbsent, trigger). */
export interface ConsumeOptions {
  /** Value used while the producer has none; the only way to break a cycle (rule R8). */
  placeholder?: string;
  /** The original's name for `placeholder`. */
  defaultIfAbsent?: string;
  /** What a new version of the product does to this enver (default 'redeploy'). */
  reaction?: Reaction;
  /** The original's name: 'directly' = 'redeploy', 'no' = 'ignore'. */
  trigger?: 'directly' | 'no';
}

/** A declared consumer; set its placeholder and reaction fluently. */
export class Consumer {
  /** Enver id of the consuming enver. */
  readonly enverId: string;
  readonly name: string;
  private readonly data: ConsumerData;

  constructor(enverId: string, data: ConsumerData) {
    this.enverId = enverId;
    this.name = data.name;
    this.data = data;
  }

  /** Enver id "<build>/<rev>" of the producer. */
  get producer(): string {
    return this.data.producer;
  }
  get product(): string {
    return this.data.product;
  }
  /** The value used while the producer has none yet (breaks a cycle, rule R8). */
  placeholder(value: string): this {
    this.data.placeholder = value;
    return this;
  }
  /** What happens when the consumed product changes (default 'redeploy'). */
  onChange(reaction: Reaction): this {
    this.data.reaction = reaction;
    return this;
  }
  /** A string naming this consumer that consumerRef()/Contracts.consumerByRef() read back. */
  toRef(): string {
    return consumerRef(this.enverId, this.name);
  }
}

const CONSUMER_REF_PREFIX = 'odmd-consumer:';

/** "odmd-consumer:<build>/<rev>/<consumer>": a consumer named in service code or config. */
export function consumerRef(enverId: string, consumer: string): string {
  return `${CONSUMER_REF_PREFIX}${enverId}/${consumer}`;
}

/** The enver id and consumer name of a consumerRef() string; an Error quoting a bad one. */
export function parseConsumerRef(ref: string): { enverId: string; consumer: string } {
  const rest = ref.startsWith(CONSUMER_REF_PREFIX) ? ref.slice(CONSUMER_REF_PREFIX.length) : '';
  const parts = rest.split('/');
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    throw new Error(
      `consumer reference ${JSON.stringify(ref)} is not "${CONSUMER_REF_PREFIX}<build>/<rev>/<consumer>"`,
    );
  }
  return { enverId: `${parts[0]}/${parts[1]}`, consumer: parts[2]! };
}

function call(receiver: string, method: string, ...args: string[]): string {
  return `${receiver}.${method}(${args.map((a) => JSON.stringify(a)).join(', ')})`;
}

/** An enver of any kind: its flags and products. */
export abstract class Enver<T extends RevType> {
  readonly buildId: string;
  readonly revType: T;
  /** The branch or tag value, e.g. "main". */
  readonly revValue: string;
  /** @internal */
  readonly data: EnverData;

  constructor(buildId: string, revType: T, value: string, data: EnverData) {
    this.buildId = buildId;
    this.revType = revType;
    this.revValue = value;
    this.data = data;
  }

  /** "b..main" or "t..v1.0.0". */
  get rev(): string {
    return this.data.rev;
  }
  /** "<build>/<rev>". */
  get id(): string {
    return `${this.buildId}/${this.data.rev}`;
  }
  get account(): string {
    return this.data.account;
  }
  get region(): string {
    return this.data.region;
  }
  get productNames(): readonly string[] {
    return this.data.products.map((p) => p.name);
  }

  /** Declares a product; with `children`, also "<name>/<child>" for each child part. */
  produces(name: string): Product<T>;
  produces<const C extends string>(
    name: string,
    options: { children: readonly C[] },
  ): ProductWithChildren<T, C>;
  produces(name: string, options?: { children: readonly string[] }): Product<T> {
    const product = this.addProduct(name);
    if (options === undefined) return product;
    // No prototype: a child part may be named "__proto__".
    const children = Object.create(null) as Record<string, Product<T>>;
    for (const child of options.children) {
      Object.defineProperty(children, child, {
        value: this.addProduct(`${name}/${child}`),
        enumerable: true,
      });
    }
    return Object.assign(product, { children });
  }

  /** The script the deployment runs, relative to the work dir (".scripts/build.sh"). */
  buildScript(path: string): this {
    this.data.buildScript = path;
    return this;
  }
  /** The directory in the repo the build runs in ("" for the root). */
  workDir(dir: string): this {
    this.data.workDir = dir;
    return this;
  }
  /** Whether its resources may be torn down freely (default: the build kind's). */
  ephemeral(value: boolean): this {
    this.data.ephemeral = value;
    return this;
  }
  /** Maximum number of live clones (rule R9; default 20). */
  cloneLimit(limit: number): this {
    this.data.cloneLimit = limit;
    return this;
  }
  /**
   * The original's overwriteGhWf. false (the default): the platform writes the generated
   * workflow where it is absent or unedited and keeps a file the user edited; true: it
   * always replaces it.
   */
  overwriteWorkflow(value: boolean): this {
    this.data.overwriteWorkflow = value;
    return this;
  }
  /** The enver's CloudFormation stack base names in deployment order (rule R10). */
  stacks(...bases: string[]): this {
    this.data.stacks = bases;
    return this;
  }
  /**
   * The enver's own settings (docs/manifest.md, Config): its build script gets them as
   * ODMD_config, laid over the build's (the enver's top-level keys win). Rule R14: keys of
   * [A-Za-z0-9_.-]{1,64} at every level, 8 levels, 16 KiB.
   */
  config(settings: ConfigObject): this {
    this.data.config = settings;
    return this;
  }
  /**
   * The Markdown file describing this enver, relative to the repository root (the
   * original's enverContextMD; default ".odmd/ENVER_BASED_SERVICE_CONTEXT_PATTERN.md").
   * Rule R14: no leading '/', no empty, "." or ".." segment, no control characters. A push
   * that deploys the enver from a commit without it is reported ("doc.missing").
   */
  enverContextMd(path: string): this {
    this.data.enverContextMd = path;
    return this;
  }

  private addProduct(name: string): Product<T> {
    const data = { name };
    this.data.products.push(data);
    recordSite(data, captureSite(call(`enver(${JSON.stringify(this.id)})`, 'produces', name)));
    return new Product(this.revType, this.id, name);
  }
}

/**
 * What an enver of rev type `T` may consume: products of its own rev type or of tag envers.
 * So a branch enver consumes anything and a tag (immutable) enver only products of tag
 * envers (rule R3), and a helper generic over `T` may consume a Product<T>.
 */
export type ConsumableBy<T extends RevType> = Product<T> | Product<'t'>;

/** An enver that consumes: cdk, cmd, networking, eks-cluster and user-auth builds. */
export class ConsumingEnver<T extends RevType> extends Enver<T> {
  private readonly consumers: Consumer[] = [];

  /** Declares that this enver consumes `product` under the consumer name `name`. */
  consumes(name: string, product: ConsumableBy<T>, options: ConsumeOptions = {}): Consumer {
    const data: ConsumerData = {
      name,
      producer: product.enverId,
      product: product.name,
      reaction: reactionOf(options),
    };
    const placeholder = options.placeholder ?? options.defaultIfAbsent;
    if (placeholder !== undefined) data.placeholder = placeholder;
    this.data.consumers.push(data);
    recordSite(data, captureSite(call(`enver(${JSON.stringify(this.id)})`, 'consumes', name)));
    const consumer = new Consumer(this.id, data);
    this.consumers.push(consumer);
    return consumer;
  }

  /** The consumer named `name`; undefined when there is none. */
  consumer(name: string): Consumer | undefined {
    return this.consumers.find((c) => c.name === name);
  }
}

function reactionOf(options: ConsumeOptions): Reaction {
  if (options.reaction !== undefined) return options.reaction;
  return options.trigger === 'no' ? 'ignore' : 'redeploy';
}

/** An image enver: it only produces (rule R6), so it has no consumes(). */
export class ImageEnver<T extends RevType> extends Enver<T> {}

/** The contracts enver: it consumes nothing (rule R6), so it has no consumes(). */
export class ContractsEnver<T extends RevType> extends Enver<T> {}

type EnverFactory<E> = (revType: RevType, value: string, data: EnverData) => E;

/** A declared build; `branch()`/`tag()` declare its envers. */
export class Build<B extends Enver<'b'>, TE extends Enver<'t'>> {
  readonly id: string;
  readonly kind: BuildKind;
  /** @internal */
  readonly data: BuildData;
  private readonly envers: Array<Enver<RevType>> = [];
  private readonly make: EnverFactory<Enver<RevType>>;

  constructor(data: BuildData, make: EnverFactory<Enver<RevType>>) {
    this.id = data.id;
    this.kind = data.kind;
    this.data = data;
    this.make = make;
  }

  /** Declares an enver on branch `branch` (the value, e.g. "main") in `account`/`region`. */
  branch(branch: string, account: AccountRef, region: string): B {
    return this.add('b', branch, account, region) as B;
  }
  /** Declares an enver on tag `tag` (e.g. "v1.0.0"). */
  tag(tag: string, account: AccountRef, region: string): TE {
    return this.add('t', tag, account, region) as TE;
  }
  /** Settings every enver of the build shares (ODMD_config under each enver's own). */
  config(settings: ConfigObject): this {
    this.data.config = settings;
    return this;
  }
  /**
   * The Markdown file of the service's overview, relative to the repository root (the
   * original's serviceOverviewMD; default ".odmd/ONDEMANDENV_PLATFORM.md"; rule R14).
   */
  serviceOverviewMd(path: string): this {
    this.data.serviceOverviewMd = path;
    return this;
  }
  /**
   * The Markdown file of the service's context shared by its envers, relative to the
   * repository root (the original's serviceContextMD; default
   * ".odmd/SERVICE_PHASE_DEVELOPMENT_PATTERN.md"; rule R14).
   */
  serviceContextMd(path: string): this {
    this.data.serviceContextMd = path;
    return this;
  }
  /** The declared enver on `rev` ("b..main"); undefined when there is none. */
  enver(rev: string): Enver<RevType> | undefined {
    return this.envers.find((e) => e.rev === rev);
  }
  get enverList(): ReadonlyArray<Enver<RevType>> {
    return this.envers;
  }

  /**
   * Declares a clone of `origin`, one of this build's static envers, on branch `branch`:
   * rev "<origin rev>-_b..<branch>", with the origin's account, region, flags, settings and
   * products (declare no product on it again). The platform treats
   * it as a clone (it counts toward the origin's cloneLimit, rule R9), and until it declares
   * a consumer it consumes what its origin consumes (its manifest entry then has no
   * "consumers", which the platform reads as "the origin's").
   */
  clone<E extends Enver<RevType>>(origin: E, branch: string): E {
    if (!this.envers.includes(origin) || origin.rev.includes('-_')) {
      throw new Error(
        `build ${JSON.stringify(this.id)}: clone(): ${JSON.stringify(origin.id)} is not a static enver of this build`,
      );
    }
    // Everything the origin declares but its consumers (as C++ BuildRef::Clone, and a clone
    // made by a commit command): flags, settings, doc path, products.
    const o = origin.data;
    const data: EnverData = {
      ...o,
      rev: `${o.rev}-_b..${branch}`,
      stacks: [...o.stacks],
      products: o.products.map((p) => ({ name: p.name })),
      consumers: [],
      inheritsConsumers: true,
    };
    return this.register(data, 'clone', branch, origin.revType) as E;
  }

  private add(type: RevType, value: string, account: AccountRef, region: string): Enver<RevType> {
    const data = this.newData(`${type}..${value}`, account.name, region);
    return this.register(data, type === 'b' ? 'branch' : 'tag', value, type);
  }

  private newData(rev: string, account: string, region: string): EnverData {
    return {
      rev,
      account,
      region,
      buildScript: '.scripts/build.sh',
      workDir: '',
      ephemeral: defaultEphemeral(this.kind),
      cloneLimit: 20,
      overwriteWorkflow: false,
      stacks: [],
      products: [],
      consumers: [],
    };
  }

  private register(data: EnverData, method: string, value: string, type: RevType): Enver<RevType> {
    this.data.envers.push(data);
    recordSite(data, captureSite(call(`build(${JSON.stringify(this.id)})`, method, value)));
    const enver = this.make(type, value, data);
    this.envers.push(enver);
    return enver;
  }
}

export type ConsumingBuild = Build<ConsumingEnver<'b'>, ConsumingEnver<'t'>>;
export type ImageBuild = Build<ImageEnver<'b'>, ImageEnver<'t'>>;
export type ContractsBuild = Build<ContractsEnver<'b'>, ContractsEnver<'t'>>;

/** Kinds whose envers consume. */
export type ConsumingKind = Exclude<BuildKind, 'contracts' | 'image'>;

/** The root of a contracts library: owns the org being declared. */
export class Contracts {
  private readonly org: OrgData;
  private readonly builds: Array<Build<Enver<'b'>, Enver<'t'>>> = [];
  private readonly site: Site;

  /** `version` is the contracts' semantic version (the manifest's and the package's). */
  constructor(orgName: string, version: string) {
    this.org = { name: orgName, version, centralAccount: 'central', accounts: [], builds: [] };
    this.site = captureSite(`new Contracts(${JSON.stringify(orgName)}, ${JSON.stringify(version)})`);
    recordSite(this.org, this.site);
  }

  get name(): string {
    return this.org.name;
  }
  get version(): string {
    return this.org.version;
  }

  /** Declares an account (name -> 12-digit id). "central" is the central account by default. */
  account(name: string, id: string): AccountRef {
    const data: AccountData = { name, id };
    this.org.accounts.push(data);
    recordSite(data, captureSite(call('contracts', 'account', name, id)));
    return { name, id };
  }
  /** Names the central account (where the platform runs). */
  central(account: AccountRef): this {
    this.org.centralAccount = account.name;
    return this;
  }
  /** A repository; `installationId` is the GitHub App installation (0: a local repo). */
  repo(owner: string, name: string, installationId: number | bigint = 0): RepoRef {
    return { owner, name, installationId };
  }

  /** The contracts build itself (a singleton): its envers consume nothing. */
  contractsBuild(id: string, repo: RepoRef): ContractsBuild {
    return this.add(id, 'contracts', repo, (t, v, d) => new ContractsEnver(id, t, v, d));
  }
  /** A build of container images: its envers only produce. */
  imageBuild(id: string, repo: RepoRef): ImageBuild {
    return this.add(id, 'image', repo, (t, v, d) => new ImageEnver(id, t, v, d));
  }
  /** A CDK app build (the original's OdmdEnverCdk envers). */
  cdkBuild(id: string, repo: RepoRef): ConsumingBuild {
    return this.build(id, 'cdk', repo);
  }
  /** A build of any consuming kind: cdk, cmd, networking, eks-cluster, user-auth. */
  build(id: string, kind: ConsumingKind, repo: RepoRef): ConsumingBuild {
    return this.add(id, kind, repo, (t, v, d) => new ConsumingEnver(id, t, v, d));
  }

  /** The declared build `id`; undefined when there is none. */
  findBuild(id: string): Build<Enver<'b'>, Enver<'t'>> | undefined {
    return this.builds.find((b) => b.id === id);
  }
  /** The declared enver "<build>/<rev>"; undefined when there is none. */
  findEnver(enverId: string): Enver<RevType> | undefined {
    const slash = enverId.indexOf('/');
    if (slash < 0) return undefined;
    return this.findBuild(enverId.slice(0, slash))?.enver(enverId.slice(slash + 1));
  }
  /** The consumer a Consumer.toRef() string names; an Error naming what is missing. */
  consumerByRef(ref: string): Consumer {
    const { enverId, consumer } = parseConsumerRef(ref);
    const enver = this.findEnver(enverId);
    if (enver === undefined) throw new Error(`consumer reference ${ref}: no enver ${enverId}`);
    const found = enver instanceof ConsumingEnver ? enver.consumer(consumer) : undefined;
    if (found === undefined) {
      throw new Error(`consumer reference ${ref}: enver ${enverId} has no consumer ${consumer}`);
    }
    return found;
  }

  /** The org as declared so far, in declaration order (the manifest's shape). */
  get data(): OrgData {
    return this.org;
  }
  /** The canonical manifest text, not validated (see synth()). */
  manifest(): string {
    return writeManifest(this.org);
  }
  /** Every violation of the rules, from `odmd validate`; empty when the contracts are valid. */
  validate(options: ValidateOptions = {}): Violation[] {
    return validateOrg(this.org, options);
  }
  /**
   * The canonical manifest, byte for byte what odmd's C++ writer gives for the same org,
   * after `odmd validate` accepted it. Throws ContractsError listing every violation, with
   * the builder call that made each, when it does not.
   */
  synth(options: ValidateOptions = {}): string {
    return synthManifest(this.org, options);
  }

  private add<B extends Enver<'b'>, TE extends Enver<'t'>>(
    id: string,
    kind: BuildKind,
    repo: RepoRef,
    make: EnverFactory<Enver<RevType>>,
  ): Build<B, TE> {
    const repoData: RepoData = { ...repo };
    const data: BuildData = { id, kind, repo: repoData, envers: [] };
    this.org.builds.push(data);
    const method = kind === 'contracts' ? 'contractsBuild' : kind === 'image' ? 'imageBuild' : kind === 'cdk' ? 'cdkBuild' : 'build';
    const args = method === 'build' ? [id, kind] : [id];
    recordSite(data, captureSite(call('contracts', method, ...args)));
    const build = new Build<B, TE>(data, make);
    this.builds.push(build);
    return build;
  }
}
