// OdmdStack: a cdk.Stack of an enver, with the deploy parameters of the original and the
// products the enver publishes carried out through one stack output.
import { CfnOutput, CfnParameter, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ENV_PRODUCTS, ENV_STACK_NAMES } from './env';
import { OdmdEnver } from './enver';
import { type NameRef, refName } from './ref';

/** The output every OdmdStack that publishes carries: a JSON object {product: value}. */
export const PRODUCTS_OUTPUT_KEY = 'OdmdProducts';

/**
 * The output recording the deploy parameters' values: a JSON object {parameter: value}. It
 * also keeps every parameter referenced, which cfn-lint (W2001) asks for.
 */
export const DEPLOY_PARAMETERS_OUTPUT_KEY = 'OdmdDeployParameters';

/** The deploy parameters, with the original ondemandenv names (its OdmdAspect). */
export const DEPLOY_PARAMETER_NAMES = [
  'odmdBuildId',
  'buildSrcRev',
  'buildSrcRef',
  'buildSrcRepo',
  'odmdDepRev',
] as const;
export type DeployParameterName = (typeof DEPLOY_PARAMETER_NAMES)[number];

const PARAMETER_DESCRIPTIONS: Readonly<Record<DeployParameterName, string>> = {
  odmdBuildId: 'odmd build id (set by the platform at deploy)',
  buildSrcRev: 'source revision (commit) deployed (set by the platform at deploy)',
  buildSrcRef: 'source RevRef deployed (set by the platform at deploy)',
  buildSrcRepo: 'source repository (set by the platform at deploy)',
  odmdDepRev: 'versions of the consumed products (set by the platform at deploy)',
};

export interface OdmdStackProps extends StackProps {
  /** The enver; default `OdmdEnver.current()` (process.env). */
  readonly enver?: OdmdEnver;
}

/**
 * A stack of the enver being deployed. Its name (props.stackName, else the id) must be one of
 * the enver's stack names; its environment defaults to the enver's account and region. It
 * declares the String parameters odmdBuildId, buildSrcRev, buildSrcRef, buildSrcRepo and
 * odmdDepRev (default "", so `cdk synth` and a plain `cdk deploy` work without them), records
 * their values in the output `OdmdDeployParameters`, and carries what `publish` was given in
 * the output `OdmdProducts`.
 */
export class OdmdStack extends Stack {
  readonly enver: OdmdEnver;
  /** The deploy parameters by name, e.g. `deployParameters.buildSrcRev.valueAsString`. */
  readonly deployParameters: Readonly<Record<DeployParameterName, CfnParameter>>;
  private readonly published = new Map<string, string>();
  private productsOutput: CfnOutput | undefined;

  constructor(scope: Construct, id: string, props: OdmdStackProps = {}) {
    const enver = props.enver ?? OdmdEnver.current();
    const stackName = props.stackName ?? id;
    if (!enver.stackNames.includes(stackName)) {
      throw new Error(
        `odmd: stack ${JSON.stringify(stackName)} is not one of enver ${enver.enverId}'s stacks ` +
          `(${ENV_STACK_NAMES}="${enver.stackNames.join(' ')}"); the platform deploys only those`,
      );
    }
    super(scope, id, { ...props, stackName, env: props.env ?? enver.cdkEnv });
    this.enver = enver;
    const params: Partial<Record<DeployParameterName, CfnParameter>> = {};
    for (const name of DEPLOY_PARAMETER_NAMES) {
      params[name] = new CfnParameter(this, name, {
        type: 'String',
        default: '',
        description: PARAMETER_DESCRIPTIONS[name],
      });
    }
    this.deployParameters = params as Record<DeployParameterName, CfnParameter>;
    const values: Record<string, string> = {};
    for (const name of DEPLOY_PARAMETER_NAMES)
      values[name] = this.deployParameters[name].valueAsString;
    new CfnOutput(this, DEPLOY_PARAMETERS_OUTPUT_KEY, {
      key: DEPLOY_PARAMETERS_OUTPUT_KEY,
      description: 'odmd deploy parameters of the last deploy: JSON {parameter: value}',
      value: this.toJsonString(values),
    });
  }

  /**
   * Publishes product `ref` (its name, or the generated package's object for it) of the
   * enver with `value`: a string known at synth time or a
   * deploy-time token (e.g. `bucket.bucketName`). Both go out through this stack's output
   * `OdmdProducts`, a JSON object {name: value} resolved by CloudFormation at deploy; the
   * platform publishes each entry. An Error when the enver does not declare the product
   * (ODMD_products) or when this app already published it.
   */
  publish(ref: NameRef, value: string): void {
    const name = refName(ref, 'product', this.enver.enverId, this.enver.originId);
    if (!this.enver.declaresProduct(name)) {
      throw new Error(
        `odmd: product ${JSON.stringify(name)} is not declared by enver ${this.enver.enverId} ` +
          `(${ENV_PRODUCTS}="${this.enver.productNames.join(' ')}")`,
      );
    }
    const owner = publisherOf(this, name);
    if (owner !== undefined) {
      throw new Error(
        `odmd: product ${JSON.stringify(name)} is already published by stack ${JSON.stringify(owner.stackName)}`,
      );
    }
    this.published.set(name, value);
    this.productsOutput ??= new CfnOutput(this, PRODUCTS_OUTPUT_KEY, {
      key: PRODUCTS_OUTPUT_KEY,
      description: 'odmd products of this stack: JSON {product: value}',
      value: Lazy.string({ produce: () => this.toJsonString(Object.fromEntries(this.published)) }),
    });
  }

  /** `publish` for each entry (the original's `new OdmdShareOut(stack, new Map([...]))`). */
  publishAll(values: Readonly<Record<string, string>>): void {
    for (const [name, value] of Object.entries(values)) this.publish(name, value);
  }

  /** What this stack publishes, by product name. */
  get products(): ReadonlyMap<string, string> {
    return this.published;
  }
}

function publisherOf(stack: OdmdStack, name: string): OdmdStack | undefined {
  for (const c of stack.node.root.node.findAll()) {
    if (c instanceof OdmdStack && c.products.has(name)) return c;
  }
  return undefined;
}
