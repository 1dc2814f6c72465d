// GitHub Actions expressions (`${{ ... }}`) for the forms workflows use: context lookups
// (vars.X, secrets.X, github.ref, inputs.x, steps.<id>.outputs.x, env.X, runner.temp,
// a['b']), literals, ! == != < <= > >= && || and parentheses, and the functions always(),
// success(), failure(), cancelled(), contains(), startsWith(), endsWith(), format(),
// join(), toJSON(). An unknown function or a syntax error throws naming the expression.

const TOKEN = /\s*(?:(\d+(?:\.\d+)?)|('(?:[^']|'')*')|([A-Za-z_][A-Za-z0-9_-]*)|(==|!=|<=|>=|&&|\|\||[!<>()[\].,*]))/y;

function tokenize(text) {
  const out = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) throw new Error(`expression "${text}": unexpected "${text.slice(at).trim()}"`);
    if (m[1]) out.push({ num: Number(m[1]) });
    else if (m[2]) out.push({ str: m[2].slice(1, -1).replaceAll("''", "'") });
    else if (m[3]) out.push({ id: m[3] });
    else out.push({ op: m[4] });
  }
  return out;
}

// Loose equality as GitHub does it: strings compare case-insensitively, other types by
// number coercion.
function equals(a, b) {
  if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  if (typeof a === typeof b) return a === b;
  const num = (v) => (v === null ? 0 : v === true ? 1 : v === false ? 0 : v === "" ? 0 : Number(v));
  return num(a) === num(b);
}

const str = (v) => (v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
const truthy = (v) => !(v === null || v === undefined || v === false || v === 0 || v === "" || Number.isNaN(v));

class Parser {
  constructor(text, ctx) {
    this.text = text;
    this.tokens = tokenize(text);
    this.i = 0;
    this.ctx = ctx;
  }
  peek(op) {
    const t = this.tokens[this.i];
    return t && t.op === op;
  }
  take(op) {
    if (!this.peek(op)) throw new Error(`expression "${this.text}": expected "${op}"`);
    this.i++;
  }
  parse() {
    const v = this.or();
    if (this.i !== this.tokens.length) throw new Error(`expression "${this.text}": unexpected token after the end`);
    return v;
  }
  or() {
    let v = this.and();
    while (this.peek("||")) {
      this.i++;
      const r = this.and();
      v = truthy(v) ? v : r;
    }
    return v;
  }
  and() {
    let v = this.cmp();
    while (this.peek("&&")) {
      this.i++;
      const r = this.cmp();
      v = truthy(v) ? r : v;
    }
    return v;
  }
  cmp() {
    let v = this.unary();
    for (;;) {
      const t = this.tokens[this.i];
      if (!t || !["==", "!=", "<", "<=", ">", ">="].includes(t.op)) return v;
      this.i++;
      const r = this.unary();
      if (t.op === "==") v = equals(v, r);
      else if (t.op === "!=") v = !equals(v, r);
      else v = { "<": v < r, "<=": v <= r, ">": v > r, ">=": v >= r }[t.op];
    }
  }
  unary() {
    if (this.peek("!")) {
      this.i++;
      return !truthy(this.unary());
    }
    return this.postfix(this.primary());
  }
  primary() {
    const t = this.tokens[this.i++];
    if (!t) throw new Error(`expression "${this.text}": ends too early`);
    if (t.num !== undefined) return t.num;
    if (t.str !== undefined) return t.str;
    if (t.op === "(") {
      const v = this.or();
      this.take(")");
      return v;
    }
    if (!t.id) throw new Error(`expression "${this.text}": unexpected "${t.op}"`);
    if (t.id === "true") return true;
    if (t.id === "false") return false;
    if (t.id === "null") return null;
    if (this.peek("(")) return this.call(t.id);
    if (!(t.id in this.ctx)) throw new Error(`expression "${this.text}": unknown context "${t.id}"`);
    return this.ctx[t.id];
  }
  postfix(v) {
    for (;;) {
      if (this.peek(".")) {
        this.i++;
        const t = this.tokens[this.i++];
        if (!t || !(t.id || t.op === "*")) throw new Error(`expression "${this.text}": expected a property name after "."`);
        v = t.id && v && typeof v === "object" ? v[t.id] ?? null : null;
      } else if (this.peek("[")) {
        this.i++;
        const k = this.or();
        this.take("]");
        v = v && typeof v === "object" ? v[k] ?? null : null;
      } else {
        return v;
      }
    }
  }
  call(name) {
    this.take("(");
    const args = [];
    while (!this.peek(")")) {
      args.push(this.or());
      if (!this.peek(")")) this.take(",");
    }
    this.take(")");
    const status = this.ctx.__status || "success";
    switch (name.toLowerCase()) {
      case "always": return true;
      case "success": return status === "success";
      case "failure": return status === "failure";
      case "cancelled": return status === "cancelled";
      case "contains":
        return Array.isArray(args[0]) ? args[0].some((x) => equals(x, args[1])) : str(args[0]).toLowerCase().includes(str(args[1]).toLowerCase());
      case "startswith": return str(args[0]).toLowerCase().startsWith(str(args[1]).toLowerCase());
      case "endswith": return str(args[0]).toLowerCase().endsWith(str(args[1]).toLowerCase());
      case "format": return str(args[0]).replace(/\{(\d+)\}/g, (_, n) => str(args[1 + Number(n)]));
      case "join": return Array.isArray(args[0]) ? args[0].map(str).join(args.length > 1 ? str(args[1]) : ",") : str(args[0]);
      case "tojson": return JSON.stringify(args[0], null, 2);
      default: throw new Error(`expression "${this.text}": the fake does not know the function ${name}()`);
    }
  }
}

// The value of one expression (without ${{ }}).
export function evaluate(expr, ctx) {
  return new Parser(expr, ctx).parse();
}

// `text` with every ${{ expr }} replaced by its value as a string; a value that is only one
// expression keeps its type (for `if:`).
export function interpolate(text, ctx) {
  if (typeof text !== "string") return text;
  const whole = /^\s*\$\{\{(.*?)\}\}\s*$/s.exec(text);
  if (whole && !whole[1].includes("}}")) return evaluate(whole[1], ctx);
  return text.replace(/\$\{\{(.*?)\}\}/gs, (_, e) => str(evaluate(e, ctx)));
}

export function asString(text, ctx) {
  return str(interpolate(text, ctx));
}

// An `if:` condition: with or without ${{ }}; no condition is success().
export function condition(text, ctx) {
  if (text === undefined || text === null) return ctx.__status === "success";
  if (typeof text === "boolean") return text;
  const s = String(text).trim();
  const inner = /^\$\{\{(.*)\}\}$/s.exec(s);
  return truthy(evaluate(inner ? inner[1] : s, ctx));
}

// GitHub: a condition without a status function gets an implicit success() &&.
export function needsImplicitSuccess(text) {
  return !/\b(always|success|failure|cancelled)\s*\(/i.test(String(text ?? ""));
}
