// The enver a build script deploys, read from the platform's ODMD_* environment.
import { enverConfig } from './config';
import {
  ENV_ACCOUNT,
  ENV_BUILD_ID,
  ENV_ENVER_ID,
  ENV_PRODUCTS,
  ENV_REGION,
  ENV_REV_REF,
  ENV_STACK_NAMES,
  type EnvSource,
  consumerVariable,
  requireList,
  requireVariable,
} from './env';
import { type PhysicalNameOptions, physicalName } from './names';
import { type NameRef, refName } from './ref';
import { type RevRef, parseRevRef } from './rev';

const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;

/**
 * The enver being deployed (the original's `getTargetEnver()`): ids, target, stack names,
 * declared products, and the values of its consumers. Read once from an environment; every
 * missing variable is an Error naming it.
 */
export class OdmdEnver {
  /** The build id (`ODMD_build_id`). */
  readonly buildId: string;
  /** The rev, exactly as the platform gives it (`ODMD_rev_ref`). */
  readonly revRef: string;
  /** The rev, parsed: type, value, and the origin rev for a clone. */
  readonly rev: RevRef;
  /** `<build>/<rev>` (`ODMD_enver_id`). */
  readonly enverId: string;
  /** The target account id (`ODMD_awsAccount`). */
  readonly account: string;
  /** The target region (`ODMD_awsRegion`). */
  readonly region: string;
  /** The enver's CloudFormation stacks in deploy order (`ODMD_stack_names`). */
  readonly stackNames: readonly string[];
  /** The products the enver publishes (`ODMD_products`). */
  readonly productNames: readonly string[];
  private readonly env: EnvSource;

  constructor(env: EnvSource) {
    this.buildId = requireVariable(env, ENV_BUILD_ID);
    this.revRef = requireVariable(env, ENV_REV_REF);
    this.rev = parseRevRef(this.revRef);
    this.enverId = requireVariable(env, ENV_ENVER_ID);
    this.account = requireVariable(env, ENV_ACCOUNT);
    this.region = requireVariable(env, ENV_REGION);
    this.stackNames = requireList(env, ENV_STACK_NAMES);
    if (this.stackNames.length === 0) {
      throw new Error(`odmd: environment variable ${ENV_STACK_NAMES} names no stack`);
    }
    for (const name of this.stackNames) {
      if (!STACK_NAME.test(name)) {
        throw new Error(
          `odmd: ${ENV_STACK_NAMES} holds ${JSON.stringify(name)}, not a stack name ([A-Za-z][A-Za-z0-9-]*)`,
        );
      }
    }
    this.productNames = requireList(env, ENV_PRODUCTS);
    this.env = { ...env };
  }

  /** The enver of this process's environment (`process.env`), read once and cached. */
  static current(): OdmdEnver {
    if (current === undefined) current = new OdmdEnver(process.env);
    return current;
  }

  /** Forgets the cached `current()` enver (tests that change process.env). */
  static resetCurrent(): void {
    current = undefined;
  }

  /** True for a clone (`<origin>-_<b|t>..<value>`). */
  get isClone(): boolean {
    return this.rev.origin !== undefined;
  }

  /** The CDK environment of the enver's stacks: its account and region. */
  get cdkEnv(): { readonly account: string; readonly region: string } {
    return { account: this.account, region: this.region };
  }

  /** The stack name at `index` of the deploy order; an Error when there is none. */
  stackName(index = 0): string {
    const name = this.stackNames[index];
    if (name === undefined) {
      throw new Error(
        `odmd: enver ${this.enverId} has ${this.stackNames.length} stack(s) (${ENV_STACK_NAMES}="${this.stackNames.join(' ')}"), no stack #${index}`,
      );
    }
    return name;
  }

  /** The id of the static enver a clone was made from; undefined for a static enver. */
  get originId(): string | undefined {
    return this.rev.origin === undefined ? undefined : `${this.buildId}/${this.rev.origin.str}`;
  }

  /** Whether consumer `ref` is declared (its ODMD_consumer_* variable is set). */
  hasConsumer(ref: NameRef): boolean {
    const name = refName(ref, 'consumer', this.enverId, this.originId);
    return this.env[consumerVariable(name)] !== undefined;
  }

  /**
   * Consumer `ref`'s value (the original's `getSharedValue`): the producer's product value,
   * or the consumer's placeholder before the producer has one. `ref` is the consumer's name
   * or the generated package's object for it (`orderSvc.main.consumers.inventoryApi`). An
   * Error when the consumer is not declared for this enver, i.e. its variable is absent, or
   * when the object belongs to another enver.
   */
  consumer(ref: NameRef): string {
    const name = refName(ref, 'consumer', this.enverId, this.originId);
    const variable = consumerVariable(name);
    const value = this.env[variable];
    if (value === undefined) {
      throw new Error(
        `odmd: consumer ${JSON.stringify(name)} is not declared for enver ${this.enverId}: ` +
          `environment variable ${variable} is not set (declare the consumer in the contracts manifest)`,
      );
    }
    return value;
  }

  /** Whether `ref` is one of the products the enver declares (ODMD_products). */
  declaresProduct(ref: NameRef): boolean {
    return this.productNames.includes(refName(ref, 'product', this.enverId, this.originId));
  }

  /**
   * The enver's configuration (`ODMD_config`: the build's config under the enver's own
   * top-level keys), parsed on each call: `{}` when the variable is absent, an Error naming
   * ODMD_config when it is not a JSON object. Read lazily, so an app that does not use it is
   * not stopped by it. `T` describes the expected settings (not checked).
   */
  config<T extends object = Record<string, unknown>>(): T {
    return enverConfig<T>(this.env);
  }

  /**
   * A physical resource name unique to this enver, the same on every deploy of it and
   * different for each clone (sdk/cdk/README.md, "Physical names").
   */
  physicalName(base: string, options: PhysicalNameOptions = {}): string {
    return physicalName(this.buildId, this.revRef, base, options);
  }
}

let current: OdmdEnver | undefined;
