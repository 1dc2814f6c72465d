// GitHub's official OpenAPI description (@octokit/openapi, pinned in package-lock.json)
// as a router and a validator: every request the fake receives and every response it
// sends is checked against the operation GitHub documents for that method and path.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import Ajv from "ajv";
import addFormats from "ajv-formats";

const require = createRequire(import.meta.url);
const SPEC_ID = "github";

// `name`: "api.github.com" or a GitHub Enterprise Server release, "ghes-3.19".
function loadSpec(name) {
  const file = require.resolve(`@octokit/openapi/generated/${name}.json`);
  return openApiNullable(JSON.parse(readFileSync(file, "utf8")));
}

// OpenAPI 3.0's `nullable: true` beside allOf/anyOf without a `type` (ajv takes nullable
// only next to a type): the same schema or null.
function openApiNullable(node) {
  if (Array.isArray(node)) return node.map(openApiNullable);
  if (!node || typeof node !== "object") return node;
  for (const k of Object.keys(node)) node[k] = openApiNullable(node[k]);
  if (node.nullable === true && node.type === undefined) {
    const { nullable, description, ...rest } = node;
    return { description, anyOf: [{ type: "null" }, rest] };
  }
  return node;
}

// JSON pointer escaping of one token ("/" -> "~1", "~" -> "~0").
const esc = (s) => s.replaceAll("~", "~0").replaceAll("/", "~1");

function deref(spec, node) {
  while (node && node.$ref) {
    const parts = node.$ref.slice(2).split("/").map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
    node = parts.reduce((n, p) => n[p], spec);
  }
  return node;
}

// A path template as a regular expression. "{ref}" and "{path}" as the last segment take
// the rest of the path (GET /repos/o/r/git/ref/heads/main, /contents/.github/workflows/x.yml).
function compileTemplate(template) {
  const names = [];
  const segments = template.split("/").slice(1);
  const body = segments
    .map((seg, i) => {
      const m = /^\{(.+)\}$/.exec(seg);
      if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(m[1]);
      const rest = i === segments.length - 1 && (m[1] === "ref" || m[1] === "path");
      return rest ? "(.+)" : "([^/]+)";
    })
    .join("/");
  const literals = segments.filter((s) => !s.startsWith("{")).length;
  return { re: new RegExp(`^/${body}$`), names, literals };
}

export class OpenApi {
  constructor(name = "api.github.com") {
    this.name = name;
    this.spec = loadSpec(name);
    this.ajv = new Ajv({ strict: false, allErrors: true, logger: false, allowUnionTypes: true });
    addFormats(this.ajv);
    this.ajv.addSchema(this.spec, SPEC_ID);
    this.routes = [];
    for (const [template, item] of Object.entries(this.spec.paths)) {
      const compiled = compileTemplate(template);
      for (const method of Object.keys(item)) {
        if (method === "parameters") continue;
        this.routes.push({ template, method: method.toUpperCase(), op: item[method], ...compiled });
      }
    }
    // Most literal segments first: /actions/runs/{id} before /actions/{x}/{y}.
    this.routes.sort((a, b) => b.literals - a.literals);
    this.validators = new Map();
  }

  // {route, params} of the documented operation for `method` and `path`, or null.
  match(method, path) {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.re.exec(path);
      if (!m) continue;
      const params = {};
      route.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
      return { route, params };
    }
    return null;
  }

  validator(pointer) {
    let v = this.validators.get(pointer);
    if (!v) {
      v = this.ajv.getSchema(`${SPEC_ID}#${pointer}`);
      if (!v) throw new Error(`no schema at ${pointer}`);
      this.validators.set(pointer, v);
    }
    return v;
  }

  check(pointer, value, what) {
    const v = this.validator(pointer);
    if (v(value)) return [];
    return v.errors.slice(0, 5).map((e) => `${what}${e.instancePath || ""} ${e.message}` +
      (e.params && e.params.allowedValues ? ` (${e.params.allowedValues.join(", ")})` : "") +
      (e.params && e.params.missingProperty ? "" : ""));
  }

  // The pointer of the object at `pointer`, following a $ref there (parameters, bodies and
  // responses are often references to #/components/...).
  resolved(pointer) {
    const parts = pointer.slice(1).split("/").map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
    const node = parts.reduce((n, p) => n[p], this.spec);
    return node && node.$ref ? this.resolved(node.$ref.slice(1)) : pointer;
  }

  opPointer(route) {
    return `/paths/${esc(route.template)}/${route.method.toLowerCase()}`;
  }

  // The problems GitHub would refuse `req` for ([] when none): unknown operation, a path or
  // query parameter outside its schema, a missing required parameter, a body that is not
  // the documented JSON.
  validateRequest(req) {
    const found = this.match(req.method, req.path);
    if (!found) return { found: null, problems: [`${req.method} ${req.path}: no such operation in GitHub's REST API`] };
    const { route, params } = found;
    const problems = [];
    const where = `${route.op.operationId} ${req.method} ${req.path}`;
    const opParams = (route.op.parameters || []).map((p) => deref(this.spec, p));
    for (const p of opParams) {
      const source = p.in === "path" ? params : p.in === "query" ? req.query : null;
      if (!source) continue;
      const raw = source[p.name];
      if (raw === undefined) {
        if (p.required) problems.push(`${where}: ${p.in} parameter "${p.name}" is required`);
        continue;
      }
      const schema = deref(this.spec, p.schema) || {};
      const value = coerce(raw, schema);
      const idx = route.op.parameters.findIndex((q) => deref(this.spec, q) === p);
      const pointer = this.resolved(`${this.opPointer(route)}/parameters/${idx}`);
      problems.push(...this.check(`${pointer}/schema`, value, `${where}: ${p.in} parameter "${p.name}"`));
    }
    const known = new Set(opParams.filter((p) => p.in === "query").map((p) => p.name));
    for (const q of Object.keys(req.query)) {
      if (!known.has(q)) problems.push(`${where}: unknown query parameter "${q}"`);
    }
    problems.push(...this.validateBody(route, req, where));
    return { found, problems };
  }

  validateBody(route, req, where) {
    const rb = deref(this.spec, route.op.requestBody);
    if (!rb) {
      return req.body.length ? [`${where}: this operation takes no request body`] : [];
    }
    if (!req.body.length) return rb.required ? [`${where}: request body is required`] : [];
    const type = (req.headers["content-type"] || "").split(";")[0].trim();
    if (type !== "application/json") return [`${where}: content-type "${type}" is not application/json`];
    let json;
    try {
      json = JSON.parse(req.body);
    } catch (e) {
      return [`${where}: request body is not JSON (${e.message})`];
    }
    req.json = json;
    const pointer = `${this.resolved(`${this.opPointer(route)}/requestBody`)}/content/application~1json/schema`;
    return [...this.check(pointer, json, `${where}: request body`), ...this.unknownKeys(pointer, json, where)];
  }

  // GitHub refuses a top-level body key its schema does not name ("Invalid request.\n\n
  // \"x\" is not a permitted key.") unless the schema allows additional properties.
  unknownKeys(pointer, json, where) {
    const schema = deref(this.spec, this.resolvedNode(pointer));
    if (!schema || !schema.properties || schema.additionalProperties || typeof json !== "object" || Array.isArray(json)) return [];
    return Object.keys(json).filter((k) => !(k in schema.properties)).map((k) => `${where}: "${k}" is not a permitted key`);
  }

  resolvedNode(pointer) {
    const parts = this.resolved(pointer).slice(1).split("/").map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
    return parts.reduce((n, p) => (n ? n[p] : undefined), this.spec);
  }

  // The problems with a response of `status` and `body` (a parsed JSON value or undefined)
  // to the operation of `route`. 304 (a conditional GET) is documented for every GET.
  validateResponse(route, req, status, body) {
    const where = `${route.op.operationId} ${req.method} ${req.path} -> ${status}`;
    if (status === 304 && req.method === "GET") return body === undefined ? [] : [`${where}: a 304 has no body`];
    const resp = deref(this.spec, route.op.responses[String(status)] || route.op.responses.default);
    if (!resp) return [`${where}: status ${status} is not a documented response`];
    const content = resp.content || {};
    const type = Object.keys(content).find((t) => t.includes("json"));
    if (!type) return body === undefined ? [] : [`${where}: documented without a body`];
    if (body === undefined) return [`${where}: documented with a body, none sent`];
    const key = String(status) in route.op.responses ? String(status) : "default";
    const base = this.resolved(`${this.opPointer(route)}/responses/${key}`);
    return this.check(`${base}/content/${esc(type)}/schema`, body, `${where}: response body`);
  }
}

function coerce(raw, schema) {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === "integer" || type === "number") return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  if (type === "boolean") return raw === "true" ? true : raw === "false" ? false : raw;
  return raw;
}
