/**
 * Reads the op table from its two hand-kept sources: the registrations in native/*.cc and the
 * NativeAddon interface in src/native/addon.ts, and compares them.
 *
 * C++ side: `CVRL_OP("name", body)` and `CVRL_VOID("name", body)` rows (and local row macros such
 * as `#define UNARY(js, fn) CVRL_OP(js, fn(a.t(0)))`) give an exact argument count: one more than
 * the highest index the body reads through `a.<accessor>(i)`. Hand-written
 * `exports.Set("name", Napi::Function::New(...))` bindings give a lower bound only (their bodies
 * may read arguments in helpers the parser does not follow).
 */
import ts from 'typescript';

export interface CppOp {
  name: string;
  file: string;
  /** Arguments the binding reads: exact for rows, a lower bound for hand-written bindings. */
  args: number;
  exact: boolean;
}

export interface CppTable {
  functions: Map<string, CppOp>;
  /** Non-function exports (constants, the tensor class). */
  values: Set<string>;
}

export interface TsTable {
  methods: Map<string, number>;
  properties: Set<string>;
}

/** Removes // and block comments, leaving string and character literals intact. */
export function stripComments(src: string): string {
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? src.length : end + 1;
      out += ' ';
    } else out += c;
  }
  return out;
}

/** The text between the parenthesis at `open` and its match (skipping literals), or undefined. */
function balanced(src: string, open: number): string | undefined {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      i = j;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return src.slice(open + 1, i);
  }
  return undefined;
}

const ACCESSORS = 'has|isNumber|t|optT|tensors|ints|optInts|i|d|optD|b|s|scalar|optScalar|options|raw';
const ARG_READ = new RegExp(`(?<![\\w.])a\\.(?:${ACCESSORS})\\((\\d+)(?:\\s*,\\s*(\\d+))?\\)`, 'g');
// Helpers handed the Args object with a literal index, e.g. UnwrapGroup(a, 0).
const ARG_PASS = /(?<![\w.])\w+\(a,\s*(\d+)\s*[,)]/g;

/** One more than the highest argument index `body` reads (0 when it reads none). */
export function argCount(body: string): number {
  let n = 0;
  for (const re of [ARG_READ, ARG_PASS]) {
    for (const m of body.matchAll(re)) {
      for (const g of m.slice(1)) if (g !== undefined) n = Math.max(n, Number(g) + 1);
    }
  }
  return n;
}

/** Bodies of `static ... Name(Args& a ...)` helpers, so a binding's `Name(a)` call can be followed. */
function helperBodies(src: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of src.matchAll(/\bstatic\s+[\w:<>\s*&]+?\b(\w+)\((?:const\s+)?Args&\s+a\b[^)]*\)\s*\{/g)) {
    let depth = 0;
    const start = m.index! + m[0].length - 1;
    for (let i = start; i < src.length; i++) {
      if (src[i] === '{') depth++;
      else if (src[i] === '}' && --depth === 0) {
        out.set(m[1], src.slice(start, i + 1));
        break;
      }
    }
  }
  return out;
}

/** Parses the registrations of a set of C++ sources (file name to text). */
export function parseCpp(files: Record<string, string>): CppTable {
  const functions = new Map<string, CppOp>();
  const values = new Set<string>();
  const add = (op: CppOp) => {
    const prev = functions.get(op.name);
    if (prev && prev.exact && op.exact && prev.args !== op.args) throw new Error(`${op.name} is registered twice with different arities`);
    if (!prev || (op.exact && !prev.exact)) functions.set(op.name, op);
  };
  const stripped = Object.entries(files).map(([file, text]) => [file, stripComments(text)] as const);
  const helpers = new Map(stripped.flatMap(([, src]) => [...helperBodies(src)]));
  for (const [file, src] of stripped) {
    // Row macros local to a file: `#define NAME(js, fn) CVRL_OP(js, body)`.
    const rowMacros = new Map<string, number>([['CVRL_OP', -1], ['CVRL_VOID', -1]]);
    for (const m of src.matchAll(/#define\s+(\w+)\((\w+)[^)]*\)\s+CVRL_(?:OP|VOID)\((\w+)\s*,/g)) {
      if (m[2] !== m[3]) continue;
      const body = balanced(src, m.index! + m[0].indexOf('(', m[0].lastIndexOf('CVRL_')));
      if (body !== undefined) rowMacros.set(m[1], argCount(body));
    }
    for (const [macro, fixed] of rowMacros) {
      for (const m of src.matchAll(new RegExp(`\\b${macro}\\(\\s*"([^"]+)"\\s*,`, 'g'))) {
        const body = balanced(src, m.index! + macro.length);
        if (body === undefined) throw new Error(`${file}: unbalanced ${macro}("${m[1]}"`);
        add({ name: m[1], file, args: fixed >= 0 ? fixed : argCount(body), exact: true });
      }
    }
    for (const m of src.matchAll(/\bexports\.Set\(\s*"([^"]+)"\s*,\s*/g)) {
      const whole = balanced(src, m.index! + 'exports.Set'.length) ?? '';
      const value = src.slice(m.index! + m[0].length);
      if (!value.startsWith('Napi::Function::New')) {
        values.add(m[1]);
        continue;
      }
      let n = argCount(whole);
      for (const call of whole.matchAll(/\b(\w+)\(a[,)]/g)) {
        const h = helpers.get(call[1]);
        if (h) n = Math.max(n, argCount(h));
      }
      add({ name: m[1], file, args: n, exact: false });
    }
  }
  return { functions, values };
}

/** Methods (with parameter counts) and properties of the NativeAddon interface. */
export function parseTs(text: string, iface = 'NativeAddon'): TsTable {
  const sf = ts.createSourceFile('addon.ts', text, ts.ScriptTarget.ES2022, true);
  const methods = new Map<string, number>();
  const properties = new Set<string>();
  let found = false;
  sf.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== iface) return;
    found = true;
    for (const m of node.members) {
      const name = m.name && ts.isIdentifier(m.name) ? m.name.text : m.name?.getText(sf);
      if (!name) continue;
      if (ts.isMethodSignature(m)) methods.set(name, m.parameters.length);
      else if (ts.isPropertySignature(m)) properties.add(name);
    }
  });
  if (!found) throw new Error(`interface ${iface} not found`);
  return { methods, properties };
}

/** Every disagreement between the two tables, one line per op; empty when they agree. */
export function compareTables(cpp: CppTable, tsTable: TsTable, cppOnly: ReadonlySet<string> = new Set()): string[] {
  const problems: string[] = [];
  for (const [name, op] of cpp.functions) {
    const n = tsTable.methods.get(name);
    if (n === undefined) problems.push(`${name} (${op.file}) has no declaration in NativeAddon`);
    else if (op.exact ? n !== op.args : n < op.args) {
      problems.push(`${name}: ${op.file} reads ${op.exact ? '' : 'at least '}${op.args} argument(s), NativeAddon declares ${n}`);
    }
  }
  for (const name of tsTable.methods.keys()) if (!cpp.functions.has(name)) problems.push(`${name} is declared in NativeAddon but no native/*.cc registers it`);
  for (const name of tsTable.properties) if (!cpp.values.has(name)) problems.push(`${name} is a NativeAddon property but no native/*.cc exports it`);
  for (const name of cpp.values) if (!tsTable.properties.has(name) && !cppOnly.has(name)) problems.push(`${name} (a native export) has no declaration in NativeAddon`);
  return problems;
}
