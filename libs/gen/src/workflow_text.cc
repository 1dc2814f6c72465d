// The text of a workflow. Everything that varies between workflows is a YAML single-quoted
// value in a job `env:` or `with:` block; every `run:` script is constant text that reads
// those values as shell variables ("$ODMD_BUILD"), never a ${{ }} expression spliced into
// the script (GitHub's advice against script injection). docs/workflows.md explains each
// step and the platform endpoints.

#include "workflow_text.h"

#include <string_view>

#include "odmd/gen/workflows.h"

namespace odmd::gen {
namespace {

// 'text' with every ' doubled: YAML's single-quoted style has no other escape.
std::string YamlQuoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  out += '\'';
  return out;
}

// `script` as the body of a `run: |` block of a step: every non-empty line indented.
std::string RunBlock(std::string_view script) {
  constexpr std::string_view kIndent = "          ";
  std::string out = "        run: |\n";
  while (!script.empty()) {
    size_t end = script.find('\n');
    std::string_view line = script.substr(0, end);
    if (!line.empty()) out += kIndent;
    out += line;
    out += '\n';
    script = end == std::string_view::npos ? std::string_view() : script.substr(end + 1);
  }
  return out;
}

std::string TokenEnv(const WorkflowSpec& spec) {
  return "        env:\n          ODMD_TOKEN: ${{ secrets." + spec.secret_name + " }}\n";
}

// What differs between kinds, as one table row each (STYLE.md §7.2).
struct KindShape {
  // Context keys the run needs beyond the common ones, space-separated ("" for none).
  std::string_view extra_keys;
  // Extra lines of the context step, run after the context was accepted.
  std::string_view extra_env_script;
  // Steps after the context step and before the build script.
  std::string (*before_build)(const WorkflowSpec& spec);
  // Steps after the build script and before publishing products.
  std::string (*tail)(const WorkflowSpec& spec);
  // Job permissions beyond id-token: write and contents: read, as YAML lines.
  std::string_view extra_permissions;
};

constexpr std::string_view kContextScript = R"sh(set -euo pipefail
if [ -z "${ODMD_API:-}" ]; then
  echo "::error::odmd: the variable ODMD_API_URL (the platform's base URL) is not set"
  exit 1
fi
if [ -z "${ODMD_TOKEN:-}" ]; then
  echo "::error::odmd: the secret $ODMD_SECRET (this workflow's platform token) is not set"
  exit 1
fi
ctx="$RUNNER_TEMP/odmd-context.env"
curl --fail-with-body -sS --retry 3 -G \
  -H @<(printf 'Authorization: Bearer %s\n' "$ODMD_TOKEN") \
  --data-urlencode "build=$ODMD_BUILD" \
  --data-urlencode "workflow=$ODMD_WORKFLOW" \
  --data-urlencode "ref=$GITHUB_REF" \
  -o "$ctx" "$ODMD_API/api/ci/context"
# Only ODMD_<lowercase letter>... variables, one per line or in GitHub's NAME<<DELIMITER
# form, may reach $GITHUB_ENV: not PATH, not LD_PRELOAD, not this workflow's own names.
awk '
  delim != "" { if ($0 == delim) delim = ""; next }
  /^ODMD_[a-z][A-Za-z0-9_]*=/ { name = substr($0, 1, index($0, "=") - 1) }
  /^ODMD_[a-z][A-Za-z0-9_]*<<ODMD_EOF_[A-Za-z0-9]+$/ {
    name = substr($0, 1, index($0, "<") - 1)
    delim = substr($0, index($0, "<<") + 2)
  }
  name == "" { printf "::error::odmd: line %d of the enver context is not an ODMD_ variable\n", NR; bad = 1; next }
  seen[name]++ { printf "::error::odmd: the enver context sets %s twice\n", name; bad = 1 }
  { name = "" }
  END {
    if (delim != "") { print "::error::odmd: the enver context ends inside a multi-line value"; bad = 1 }
    exit bad
  }' "$ctx"
value() { grep -m1 "^$1=" "$ctx" | cut -d= -f2- || true; }
for key in ODMD_build_id ODMD_rev_ref ODMD_awsRegion ODMD_awsAccount ODMD_work_dir \
    ODMD_build_script ODMD_products $ODMD_KIND_KEYS; do
  if ! grep -q "^$key=" "$ctx"; then
    echo "::error::odmd: the enver context has no $key"
    exit 1
  fi
done
expect() {
  if [ "$(value "$1")" != "$2" ]; then
    echo "::error::odmd: the enver context has $1=$(value "$1"); this workflow is for $2"
    exit 1
  fi
}
expect ODMD_build_id "$ODMD_BUILD"
expect ODMD_awsRegion "$ODMD_REGION"
expect ODMD_awsAccount "$ODMD_ACCOUNT_ID"
rev=$(value ODMD_rev_ref)
if ! [[ "$rev" =~ ^[bt]\.\.[A-Za-z0-9_.-]+$ ]]; then
  echo "::error::odmd: ODMD_rev_ref $rev is not a rev"
  exit 1
fi
relative() {
  case "$2" in
    /* | .. | ../* | */.. | */../*)
      echo "::error::odmd: $1 $2 must be a relative path inside the repository"
      exit 1
      ;;
  esac
}
relative ODMD_work_dir "$(value ODMD_work_dir)"
relative ODMD_build_script "$(value ODMD_build_script)"
mkdir -p "$RUNNER_TEMP/odmd-products"
cat "$ctx" >> "$GITHUB_ENV"
echo "ODMD_PRODUCTS_DIR=$RUNNER_TEMP/odmd-products" >> "$GITHUB_ENV"
)sh";

constexpr std::string_view kBuildScript = R"sh(set -euo pipefail
cd "$GITHUB_WORKSPACE/$ODMD_work_dir"
# A missing build script fails the run, as it fails a local deployment (docs/workflows.md).
if [ ! -f "$ODMD_build_script" ]; then
  echo "::error::odmd: build script $ODMD_build_script not found in commit ${GITHUB_SHA:0:7} (work dir ./$ODMD_work_dir)"
  exit 1
fi
echo "odmd: running $ODMD_build_script in ./$ODMD_work_dir for $ODMD_build_id/$ODMD_rev_ref"
chmod +x "$ODMD_build_script"
"./$ODMD_build_script"
)sh";

// The CDK tail: synthesise once, then deploy each stack of ODMD_stack_names in order from
// that cloud assembly with only the parameters its template declares (CloudFormation
// refuses undeclared ones), by the original's names; each stack's OdmdProducts output
// (a JSON object {product: value}) supplies the products the build script did not write.
constexpr std::string_view kCdkDeployScript = R"sh(set -euo pipefail
cd "$GITHUB_WORKSPACE/$ODMD_work_dir"
read -ra stacks <<< "$ODMD_stack_names"
if [ "${#stacks[@]}" -eq 0 ]; then
  echo "::error::odmd: the enver context names no stacks (ODMD_stack_names)"
  exit 1
fi
for stack in "${stacks[@]}"; do
  if ! [[ "$stack" =~ ^[A-Za-z][A-Za-z0-9-]*$ ]]; then
    echo "::error::odmd: $stack in ODMD_stack_names is not a stack name"
    exit 1
  fi
done
# odmdDepRev changes whenever a consumed value does, so a stack that declares it updates.
consumed=""
for name in $(compgen -v ODMD_consumer_ | LC_ALL=C sort || true); do
  consumed+="$name=${!name}"$'\n'
done
dep_rev=none
if [ -n "$consumed" ]; then dep_rev=$(printf '%s' "$consumed" | sha256sum | cut -c1-16); fi
npx --no -- cdk synth --quiet > /dev/null
outputs="$RUNNER_TEMP/odmd-outputs"
mkdir -p "$outputs"
# Every stack must be in the assembly before any is deployed.
declare -A declared
for stack in "${stacks[@]}"; do
  declared[$stack]=$(node -e '
    const fs = require("fs");
    const [dir, stack] = process.argv.slice(1);
    const artifacts = JSON.parse(fs.readFileSync(dir + "/manifest.json", "utf8")).artifacts || {};
    const found = Object.entries(artifacts).find(([id, a]) =>
      a.type === "aws:cloudformation:stack" && ((a.properties || {}).stackName || id) === stack);
    if (!found) {
      console.error(`::error::odmd: the CDK app synthesised no stack ${stack} (${dir}/manifest.json)`);
      process.exit(1);
    }
    const template = JSON.parse(fs.readFileSync(dir + "/" + found[1].properties.templateFile, "utf8"));
    console.log(Object.keys(template.Parameters || {}).join(" "));
  ' cdk.out "$stack")
done
for stack in "${stacks[@]}"; do
  params=()
  for name in ${declared[$stack]}; do
    case "$name" in
      odmdBuildId) params+=(--parameters "$stack:odmdBuildId=$ODMD_build_id") ;;
      buildSrcRev) params+=(--parameters "$stack:buildSrcRev=$GITHUB_SHA") ;;
      buildSrcRef) params+=(--parameters "$stack:buildSrcRef=$ODMD_rev_ref") ;;
      buildSrcRepo) params+=(--parameters "$stack:buildSrcRepo=$GITHUB_REPOSITORY") ;;
      odmdDepRev) params+=(--parameters "$stack:odmdDepRev=$dep_rev") ;;
    esac
  done
  echo "odmd: deploying $stack"
  npx --no -- cdk deploy "$stack" --app cdk.out --exclusively --require-approval never \
    --outputs-file "$outputs/$stack.json" "${params[@]}"
  node -e '
    const fs = require("fs");
    const [file, stack, dir, declared] = process.argv.slice(1);
    const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "{}";
    const out = (JSON.parse(text)[stack] || {}).OdmdProducts;
    if (out === undefined) process.exit(0);
    for (const [name, value] of Object.entries(JSON.parse(out))) {
      if (!declared.split(" ").includes(name)) {
        console.error(`::error::odmd: stack ${stack} outputs ${name}, which is not a product of the enver`);
        process.exit(1);
      }
      const path = dir + "/" + name.replace(/\//g, "+");
      if (!fs.existsSync(path)) {
        fs.writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
      }
    }
  ' "$outputs/$stack.json" "$stack" "$ODMD_PRODUCTS_DIR" "$ODMD_products"
done
)sh";

// Before the build script, which may push the image itself (Maven/Jib): the repository
// exists and the script knows the registry.
constexpr std::string_view kImageRepoScript = R"sh(set -euo pipefail
if ! [[ "$ODMD_image_repo" =~ ^[a-z0-9][a-z0-9/-]*$ ]]; then
  echo "::error::odmd: ODMD_image_repo $ODMD_image_repo is not a repository name"
  exit 1
fi
aws ecr describe-repositories --repository-names "$ODMD_image_repo" > /dev/null 2>&1 ||
  aws ecr create-repository --repository-name "$ODMD_image_repo" > /dev/null
echo "ODMD_REGISTRY=$ODMD_REGISTRY" >> "$GITHUB_ENV"
echo "odmd: the image repository is $ODMD_REGISTRY/$ODMD_image_repo"
)sh";

// The build script pushed the image if it wrote the product imageUri; otherwise the work
// dir's Dockerfile is built and pushed; neither is an error naming both.
constexpr std::string_view kImageScript = R"sh(set -euo pipefail
cd "$GITHUB_WORKSPACE/$ODMD_work_dir"
declared() { [[ " $ODMD_products " == *" $1 "* ]]; }
if [ -s "$ODMD_PRODUCTS_DIR/imageUri" ]; then
  image=$(cat "$ODMD_PRODUCTS_DIR/imageUri")
  echo "odmd: the build script pushed $image; no Dockerfile build"
  if declared imageDigest && [ ! -e "$ODMD_PRODUCTS_DIR/imageDigest" ]; then
    if [[ "$image" != *@sha256:* ]]; then
      echo "::error::odmd: the build script wrote the product imageUri $image but not imageDigest, a product of $ODMD_build_id/$ODMD_rev_ref: write the pushed digest to \$ODMD_PRODUCTS_DIR/imageDigest"
      exit 1
    fi
    printf '%s' "${image#*@}" > "$ODMD_PRODUCTS_DIR/imageDigest"
  fi
  exit 0
fi
if [ ! -f Dockerfile ]; then
  echo "::error::odmd: nothing built the image of $ODMD_build_id/$ODMD_rev_ref: no Dockerfile in ./$ODMD_work_dir, and the build script wrote no imageUri product (push the image and write its URI to \$ODMD_PRODUCTS_DIR/imageUri, a declared product, or add a Dockerfile)"
  exit 1
fi
image="$ODMD_REGISTRY/$ODMD_image_repo:$GITHUB_SHA"
docker build --file Dockerfile --tag "$image" .
docker push "$image"
digest=$(docker inspect --format '{{index .RepoDigests 0}}' "$image")
# The image's own products, unless the build script wrote them.
for product in $ODMD_products; do
  case "$product" in
    imageUri) value="$image" ;;
    imageDigest) value="${digest#*@}" ;;
    *) continue ;;
  esac
  if [ ! -e "$ODMD_PRODUCTS_DIR/$product" ]; then
    printf '%s' "$value" > "$ODMD_PRODUCTS_DIR/$product"
  fi
done
)sh";

constexpr std::string_view kManifestScript = R"sh(set -euo pipefail
if [ ! -s "$ODMD_MANIFEST_FILE" ]; then
  echo "::error::odmd: the build script wrote no manifest to \$ODMD_MANIFEST_FILE"
  exit 1
fi
echo "odmd: publishing the manifest of $ODMD_build_id/$ODMD_rev_ref"
curl --fail-with-body -sS --retry 3 -X PUT \
  -H @<(printf 'Authorization: Bearer %s\n' "$ODMD_TOKEN") \
  -H 'Content-Type: application/json' \
  --data-binary "@$ODMD_MANIFEST_FILE" \
  "$ODMD_API/api/ci/manifest/$ODMD_build_id/$ODMD_rev_ref"
)sh";

// The per-org package(s) the build script packed into $ODMD_PACKAGE_DIR (odmd gen package,
// then npm pack), published with the job's token to the organisation's registry; a version
// the registry has already is left alone (a re-run of the same contracts version).
constexpr std::string_view kPackageScript = R"sh(set -euo pipefail
shopt -s nullglob
packages=("${ODMD_PACKAGE_DIR:?}"/*.tgz)
if [ ${#packages[@]} -eq 0 ]; then
  echo "odmd: the build script packed no per-org package into \$ODMD_PACKAGE_DIR: nothing to publish"
  exit 0
fi
registry="${ODMD_NPM_REGISTRY:-https://npm.pkg.github.com}"
if ! [[ "$registry" =~ ^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~-]+)*/?$ ]]; then
  echo "::error::odmd: ODMD_NPM_REGISTRY '$registry' is not an https URL"
  exit 1
fi
host="${registry#https://}"
npmrc="$RUNNER_TEMP/odmd-npmrc"
# npm expands ${NODE_AUTH_TOKEN} itself: the token is never written to disk.
printf '//%s/:_authToken=${NODE_AUTH_TOKEN}\n' "${host%/}" > "$npmrc"
for package in "${packages[@]}"; do
  id=$(tar -xOzf "$package" package/package.json |
    node -e 'const p = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(`${p.name}@${p.version}`)')
  if [ -n "$(npm view "$id" version --registry "$registry" --userconfig "$npmrc" 2> /dev/null)" ]; then
    echo "odmd: $id is in $registry already"
    continue
  fi
  echo "odmd: publishing $id to $registry"
  npm publish "$package" --registry "$registry" --userconfig "$npmrc"
done
)sh";

constexpr std::string_view kPublishScript = R"sh(set -euo pipefail
dir="$ODMD_PRODUCTS_DIR"
read -ra declared <<< "$ODMD_products"
names=()
while IFS= read -r -d '' file; do
  base="${file#"$dir"/}"
  if [ ! -f "$file" ] || [[ "$base" == */* ]]; then
    echo "::error::odmd: $base: write one file per product directly in \$ODMD_PRODUCTS_DIR"
    exit 1
  fi
  name="${base//+//}"
  found=0
  for product in "${declared[@]}"; do
    if [ "$product" = "$name" ]; then found=1; fi
  done
  if [ "$found" -eq 0 ]; then
    echo "::error::odmd: $name is not a product of $ODMD_build_id/$ODMD_rev_ref (products: ${ODMD_products:-none})"
    exit 1
  fi
  names+=("$name")
done < <(find "$dir" -mindepth 1 -print0 | sort -z)
for name in "${names[@]}"; do
  echo "odmd: publishing $name"
  curl --fail-with-body -sS --retry 3 -X PUT \
    -H @<(printf 'Authorization: Bearer %s\n' "$ODMD_TOKEN") \
    -H 'Content-Type: application/octet-stream' \
    --data-binary "@$dir/${name//\//+}" \
    "$ODMD_API/api/ci/products/$ODMD_build_id/$ODMD_rev_ref/$name"
done
echo "odmd: published ${#names[@]} product(s)"
)sh";

std::string CdkTail(const WorkflowSpec&) {
  return "      - name: Deploy the stacks in order\n" + RunBlock(kCdkDeployScript);
}

std::string ImageBeforeBuild(const WorkflowSpec&) {
  return "      - name: Log in to the container registry\n"
         "        id: ecr\n"
         "        uses: aws-actions/amazon-ecr-login@v2\n"
         "      - name: Prepare the image repository\n"
         "        env:\n"
         "          ODMD_REGISTRY: ${{ steps.ecr.outputs.registry }}\n" +
         RunBlock(kImageRepoScript);
}

std::string ImageTail(const WorkflowSpec&) {
  return "      - name: Build and push the image\n" + RunBlock(kImageScript);
}

std::string ContractsTail(const WorkflowSpec& spec) {
  return "      - name: Publish the manifest\n" + TokenEnv(spec) + RunBlock(kManifestScript) +
         "      - name: Publish the per-org package\n"
         "        env:\n"
         "          NODE_AUTH_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n"
         "          ODMD_NPM_REGISTRY: ${{ vars." +
         std::string(kNpmRegistryVariable) + " }}\n" + RunBlock(kPackageScript);
}

std::string NoSteps(const WorkflowSpec&) { return ""; }

const KindShape& ShapeOf(model::BuildKind kind) {
  static constexpr KindShape kContracts = {
      "",
      "echo \"ODMD_MANIFEST_FILE=$RUNNER_TEMP/odmd-manifest.json\" >> \"$GITHUB_ENV\"\n"
      "echo \"ODMD_PACKAGE_DIR=$RUNNER_TEMP/odmd-package\" >> \"$GITHUB_ENV\"\n",
      NoSteps, ContractsTail, "      packages: write\n"};
  static constexpr KindShape kCmd = {"", "", NoSteps, NoSteps, ""};
  static constexpr KindShape kImage = {"ODMD_image_repo", "", ImageBeforeBuild, ImageTail, ""};
  static constexpr KindShape kCdk = {"ODMD_stack_names", "", NoSteps, CdkTail, ""};
  switch (kind) {
    case model::BuildKind::kContracts:
      return kContracts;
    case model::BuildKind::kCmd:
      return kCmd;
    case model::BuildKind::kImage:
      return kImage;
    case model::BuildKind::kCdk:
    case model::BuildKind::kNetworking:
    case model::BuildKind::kEksCluster:
    case model::BuildKind::kUserAuth:
      return kCdk;
  }
  return kCdk;  // Unreachable for valid enum values.
}

std::string Header(const WorkflowSpec& spec) {
  return "# Generated by odmd from the contracts. Once edited, odmd keeps your version (unless "
         "the contracts set overwriteWorkflow true).\n"
         "name: " +
         YamlQuoted(spec.name) +
         "\n"
         "run-name: ${{ github.ref_name }} ${{ inputs.message }}\n"
         "on:\n"
         "  workflow_dispatch:\n"
         "    inputs:\n"
         "      message:\n"
         "        description: 'Why the platform dispatched this run'\n"
         "        type: string\n"
         "        required: false\n"
         "        default: ''\n"
         "concurrency:\n"
         "  group: ${{ github.workflow }}-${{ github.ref }}\n"
         "  cancel-in-progress: false\n";
}

std::string JobHead(const WorkflowSpec& spec, const KindShape& shape) {
  std::string out =
      "jobs:\n"
      "  deploy:\n"
      "    runs-on: ubuntu-latest\n"
      "    permissions:\n"
      "      id-token: write\n"
      "      contents: read\n";
  out += shape.extra_permissions;
  out += "    env:\n";
  out += "      ODMD_BUILD: " + YamlQuoted(spec.build_id) + "\n";
  out += "      ODMD_WORKFLOW: " + YamlQuoted(spec.name) + "\n";
  out += "      ODMD_REGION: " + YamlQuoted(spec.region) + "\n";
  out += "      ODMD_ACCOUNT_ID: " + YamlQuoted(spec.account_id) + "\n";
  out += "      ODMD_SECRET: " + YamlQuoted(spec.secret_name) + "\n";
  out += "      ODMD_KIND_KEYS: " + YamlQuoted(shape.extra_keys) + "\n";
  out += "      ODMD_API: ${{ vars." + std::string(kApiUrlVariable) + " }}\n";
  out +=
      "    defaults:\n"
      "      run:\n"
      "        shell: bash\n";
  return out;
}

std::string CommonSteps(const WorkflowSpec& spec, const KindShape& shape) {
  std::string out =
      "    steps:\n"
      "      - name: Check out the dispatched ref\n"
      "        uses: actions/checkout@v4\n"
      "        with:\n"
      "          ref: ${{ github.ref }}\n"
      "          persist-credentials: false\n"
      "      - name: Assume the build role\n"
      "        uses: aws-actions/configure-aws-credentials@v4\n"
      "        with:\n";
  out += "          role-to-assume: " + YamlQuoted(spec.role_arn) + "\n";
  out += "          aws-region: " + YamlQuoted(spec.region) + "\n";
  std::string context_script(kContextScript);
  context_script += shape.extra_env_script;
  context_script += "echo \"odmd: enver $ODMD_BUILD/$rev\"\n";
  out += "      - name: Resolve the enver context\n" + TokenEnv(spec) + RunBlock(context_script);
  out += shape.before_build(spec);
  out += "      - name: Run the build script\n" + RunBlock(kBuildScript);
  return out;
}

}  // namespace

std::string RenderWorkflow(const WorkflowSpec& spec) {
  const KindShape& shape = ShapeOf(spec.kind);
  std::string out = Header(spec);
  out += JobHead(spec, shape);
  out += CommonSteps(spec, shape);
  out += shape.tail(spec);
  out += "      - name: Publish the products\n" + TokenEnv(spec) + RunBlock(kPublishScript);
  return out;
}

}  // namespace odmd::gen
