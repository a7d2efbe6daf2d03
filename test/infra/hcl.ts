import fs from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';

/**
 * A Terraform root module as @cdktf/hcl2json parses it (no terraform binary needed), merged
 * over its .tf files, and a small evaluator for the expressions the consistency checks need
 * to follow: references to locals, variables and each.* (also as an index, x[each.key]),
 * merge(), jsondecode(file("${path.module}/...")), filtering for-expressions, a list keyed by
 * an attribute ({ for f in list : f.name => f }) and `cond ? a : {}`. Anything else evaluates
 * to a Computed value, so a check that needs it reports it instead of passing silently.
 */

export type Block = Record<string, unknown>;

export interface TerraformModule {
  locals: Record<string, unknown>;
  variables: Record<string, Block>;
  outputs: Record<string, Block>;
  /** type -> name -> block */
  resources: Record<string, Record<string, Block>>;
  /** data sources: type -> name -> block */
  data: Record<string, Record<string, Block>>;
  /** The JSON files the module reads (jsondecode(file("${path.module}/<path>"))), by that path. */
  files: Record<string, unknown>;
}

/** A value only known at apply time (a resource attribute, a function call we do not model). */
export class Computed {
  constructor(readonly expr: string) {}
  toString(): string {
    return `\${${this.expr}}`;
  }
}

export async function parseHcl(file: string, text: string): Promise<Record<string, unknown>> {
  return parse(file, text);
}

export async function loadTerraformModule(dir: string): Promise<TerraformModule> {
  const module: TerraformModule = { locals: {}, variables: {}, outputs: {}, resources: {}, data: {}, files: {} };
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort();
  for (const file of files) {
    const json = await parseHcl(file, fs.readFileSync(path.join(dir, file), 'utf8'));
    for (const locals of asArray(json.locals)) Object.assign(module.locals, locals);
    for (const [name, blocks] of Object.entries(asRecord(json.variable))) module.variables[name] = firstBlock(blocks);
    for (const [name, blocks] of Object.entries(asRecord(json.output))) module.outputs[name] = firstBlock(blocks);
    for (const kind of ['resource', 'data'] as const) {
      const target = kind === 'resource' ? module.resources : module.data;
      for (const [type, byName] of Object.entries(asRecord(json[kind]))) {
        target[type] ??= {};
        for (const [name, blocks] of Object.entries(asRecord(byName))) target[type][name] = firstBlock(blocks);
      }
    }
  }
  for (const expr of interpolations(module.locals)) {
    for (const m of expr.matchAll(JSON_FILE)) module.files[m[1]!] = JSON.parse(fs.readFileSync(path.join(dir, m[1]!), 'utf8'));
  }
  return module;
}

const JSON_FILE = /jsondecode\(file\("\$\{path\.module\}\/([^"]+)"\)\)/g;

export function asArray(v: unknown): Block[] {
  return Array.isArray(v) ? (v as Block[]) : [];
}

export function asRecord(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** A nested block (hcl2json writes every block as a list); the first one. */
export function block(parent: Block | undefined, name: string): Block | undefined {
  return asArray(parent?.[name])[0];
}

function firstBlock(blocks: unknown): Block {
  return asArray(blocks)[0] ?? {};
}

export interface Scope {
  module: TerraformModule;
  each?: { key: string; value: unknown };
  /** Iterator of a dynamic block: name -> {key, value}. */
  iterators?: Record<string, { key: string; value: unknown }>;
}

/** The expression inside a string that is exactly one interpolation "${...}", else undefined. */
export function wholeExpression(s: string): string | undefined {
  if (!s.startsWith('${') || !s.endsWith('}')) return undefined;
  let depth = 0;
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i === s.length - 1 ? s.slice(2, -1).trim() : undefined;
  }
  return undefined;
}

/** Evaluates a parsed attribute value: literals stay, whole interpolations are evaluated. */
export function evaluate(value: unknown, scope: Scope): unknown {
  if (typeof value !== 'string') return value;
  const expr = wholeExpression(value);
  return expr === undefined ? value : evaluateExpression(expr, scope);
}

export function evaluateExpression(expr: string, scope: Scope): unknown {
  const e = expr.trim();

  const merge = /^merge\(([\s\S]*)\)$/.exec(e);
  if (merge) {
    const parts = splitTopLevel(merge[1] ?? '', ',').map((a) => evaluateExpression(a, scope));
    if (parts.some((p) => p instanceof Computed || asRecord(p) !== p)) return new Computed(e);
    return Object.assign({}, ...parts);
  }

  const forExpr = parseForExpression(e);
  if (forExpr) {
    const source = evaluateExpression(forExpr.source, scope);
    if (source instanceof Computed) return new Computed(e);
    const filter = forExpr.condition === undefined ? undefined : new RegExp(`^${forExpr.value}\\.(\\w+)\\s*==\\s*"([^"]*)"$`).exec(forExpr.condition);
    // A condition on anything but the element (a variable, say) is only known at plan time.
    if (forExpr.condition !== undefined && !filter) return new Computed(e);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(asRecord(source))) {
      if (!filter || evaluate(asRecord(v)[filter[1] ?? ''], scope) === filter[2]) out[k] = v;
    }
    return out;
  }

  const json = new RegExp(`^${JSON_FILE.source}$`).exec(e);
  if (json) return json[1]! in scope.module.files ? scope.module.files[json[1]!] : new Computed(e);

  const keyed = /^\{\s*for\s+(\w+)\s+in\s+([\w.]+)\s*:\s*\1\.(\w+)\s*=>\s*\1\s*\}$/.exec(e);
  if (keyed) {
    const list = evaluateExpression(keyed[2]!, scope);
    if (!Array.isArray(list)) return new Computed(e);
    return Object.fromEntries(list.map((item) => [String(asRecord(item)[keyed[3]!]), item]));
  }

  if (e === '{}') return {};
  if (e === '[]') return [];
  if (/^"[^"$]*"$/.test(e)) return e.slice(1, -1);

  if (/\[each\.key\]/.test(e) && scope.each) return evaluateExpression(e.replaceAll('[each.key]', `["${scope.each.key}"]`), scope);
  if (/^(local|var|each)\.[\w-]+(?:\.[\w-]+|\["[^"]+"\])*$/.test(e) || isIterator(e, scope)) return reference(e, scope);
  return new Computed(e);
}

function isIterator(e: string, scope: Scope): boolean {
  const head = /^(\w+)\.(key|value)\b/.exec(e)?.[1];
  return head !== undefined && scope.iterators?.[head] !== undefined;
}

function reference(e: string, scope: Scope): unknown {
  const parts = [...e.matchAll(/\.?([\w-]+)|\["([^"]+)"\]/g)].map((m) => m[1] ?? m[2] ?? '');
  const [root, first, ...rest] = parts;
  let current: unknown;
  if (root === 'local') current = scope.module.locals[first ?? ''];
  else if (root === 'var') {
    const variable = scope.module.variables[first ?? ''];
    if (!variable || !('default' in variable)) return new Computed(e);
    current = variable.default;
  } else {
    const binding = root === 'each' ? scope.each : scope.iterators?.[root ?? ''];
    if (!binding) return new Computed(e);
    current = first === 'key' ? binding.key : first === 'value' ? binding.value : undefined;
  }
  for (const part of rest) {
    current = evaluate(current, scope);
    if (current instanceof Computed) return new Computed(e);
    current = asRecord(current)[part];
  }
  return current === undefined ? new Computed(e) : evaluate(current, scope);
}

/** Splits on a separator outside brackets, braces, parentheses and strings. */
export function splitTopLevel(s: string, separator: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"' && s[i - 1] !== '\\') inString = !inString;
    if (inString) continue;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === separator && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = s.slice(start).trim();
  if (last) out.push(last);
  return out;
}

/** `{ for k, v in SOURCE : k => v if CONDITION }`, the one for-expression shape we follow. */
function parseForExpression(e: string): { value: string; source: string; condition?: string } | undefined {
  const m = /^\{\s*for\s+(\w+)\s*,\s*(\w+)\s+in\s+([\w.]+)\s*:\s*\1\s*=>\s*\2\s*(?:if\s+([\s\S]+?))?\s*\}$/.exec(e);
  if (!m) return undefined;
  return { value: m[2] ?? '', source: m[3] ?? '', ...(m[4] ? { condition: m[4].trim() } : {}) };
}

/**
 * The keys a for_each may take. `cond ? A : B` yields the union of both branches, with the
 * condition, so a check can tell whether a grant is switched by a variable.
 */
export function forEachKeys(forEach: unknown, scope: Scope): { keys: string[] | Computed; condition?: string } {
  const expr = typeof forEach === 'string' ? wholeExpression(forEach) : undefined;
  if (expr === undefined) return { keys: Object.keys(asRecord(forEach)) };
  const conditional = splitConditional(expr);
  if (conditional) {
    const branches = [conditional.then, conditional.otherwise].map((b) => evaluateExpression(b, scope));
    if (branches.some((b) => b instanceof Computed)) return { keys: new Computed(expr), condition: conditional.condition };
    return {
      keys: [...new Set(branches.flatMap((b) => Object.keys(asRecord(b))))],
      condition: conditional.condition,
    };
  }
  const forExpr = parseForExpression(expr);
  if (forExpr?.condition !== undefined && /\bvar\./.test(forExpr.condition)) {
    // Filtered by a variable: any key of the source may be selected.
    const source = evaluateExpression(forExpr.source, scope);
    if (source instanceof Computed) return { keys: source, condition: forExpr.condition };
    return { keys: Object.keys(asRecord(source)), condition: forExpr.condition };
  }
  const value = evaluateExpression(expr, scope);
  if (value instanceof Computed) return { keys: value };
  if (Array.isArray(value)) return { keys: value.map(String) };
  return { keys: Object.keys(asRecord(value)) };
}

function splitConditional(expr: string): { condition: string; then: string; otherwise: string } | undefined {
  const q = splitTopLevel(expr, '?');
  if (q.length !== 2) return undefined;
  const branches = splitTopLevel(q[1] ?? '', ':');
  if (branches.length !== 2) return undefined;
  return { condition: q[0] ?? '', then: branches[0] ?? '', otherwise: branches[1] ?? '' };
}

/** Every "${...}" interpolation in a parsed value, recursively. */
export function interpolations(value: unknown): string[] {
  if (typeof value === 'string') {
    const out: string[] = [];
    for (let i = value.indexOf('${'); i >= 0; i = value.indexOf('${', i + 2)) {
      let depth = 0;
      for (let j = i + 1; j < value.length; j++) {
        if (value[j] === '{') depth++;
        else if (value[j] === '}' && --depth === 0) {
          out.push(value.slice(i + 2, j));
          break;
        }
      }
    }
    return out;
  }
  if (Array.isArray(value)) return value.flatMap(interpolations);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(interpolations);
  return [];
}
