/**
 * The AVA action list (`ava_action_list_v2.2_for_activitynet_2019.pbtxt`): protobuf text format,
 * `item { name: "..." id: N }` blocks. Malformed input throws an Error whose message starts with
 * `file:line:` (1-based).
 */
import { readFile } from 'node:fs/promises';

/** Action id -> name, in file order. */
export type AvaLabelMap = Map<number, string>;

function fail(file: string, line: number, message: string): never {
  throw new Error(`${file}:${line}: ${message}`);
}

const UINT = /^\d+$/;

// Only the fields of the AVA action lists are understood.
interface Token { kind: 'word' | 'string' | 'number' | 'punct'; text: string; line: number }

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r' };
const NUMBER = /[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?/y;

function tokenize(text: string, file: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (c === '\n') { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '#') { while (i < text.length && text[i] !== '\n') i++; continue; }
    if (c === '{' || c === '}' || c === ':') { out.push({ kind: 'punct', text: c, line }); i++; continue; }
    if (c === '"' || c === "'") {
      let s = '';
      for (i++; ; i++) {
        const escaped = text[i] === '\\';
        if (escaped) i++;
        else if (text[i] === c) break;
        if (i >= text.length || text[i] === '\n') fail(file, line, 'unterminated string');
        s += escaped ? ESCAPES[text[i]] ?? text[i] : text[i];
      }
      i++;
      out.push({ kind: 'string', text: s, line });
      continue;
    }
    let m: RegExpExecArray | null = null;
    for (const [kind, re] of [['word', WORD], ['number', NUMBER]] as const) {
      re.lastIndex = i;
      if ((m = re.exec(text))) { out.push({ kind, text: m[0], line }); i += m[0].length; break; }
    }
    if (!m) fail(file, line, `unexpected character '${c}'`);
  }
  return out;
}

const show = (t: Token) => (t.kind === 'string' ? JSON.stringify(t.text) : `'${t.text}'`);

/** `item { name: "..." id: N }` blocks (or `label { name: ... label_id: N label_type: T }`), in any layout. */
export function parseAvaLabelMap(text: string, file = '<label map>'): AvaLabelMap {
  const tokens = tokenize(text, file);
  let p = 0;
  const next = (): Token => tokens[p++] ?? fail(file, tokens[tokens.length - 1]?.line ?? 1, 'unexpected end of file');
  const punct = (t: Token | undefined, c: string) => t?.kind === 'punct' && t.text === c;
  const map: AvaLabelMap = new Map();
  const idLines = new Map<number, number>();
  while (p < tokens.length) {
    const head = next();
    if (head.kind !== 'word' || (head.text !== 'item' && head.text !== 'label')) fail(file, head.line, `expected 'item {', got ${show(head)}`);
    if (punct(tokens[p], ':')) p++;
    const open = next();
    if (!punct(open, '{')) fail(file, open.line, `expected '{' after '${head.text}', got ${show(open)}`);
    let name: string | undefined, id: number | undefined, idLine = head.line;
    const seen = new Set<string>();
    for (let k = next(); !punct(k, '}'); k = next()) {
      if (k.kind !== 'word') fail(file, k.line, `expected a field name or '}', got ${show(k)}`);
      const field = k.text === 'label_id' ? 'id' : k.text;
      if (seen.has(field)) fail(file, k.line, `${k.text} given twice in one ${head.text}`);
      seen.add(field);
      const colon = next();
      if (!punct(colon, ':')) fail(file, colon.line, `expected ':' after '${k.text}', got ${show(colon)}`);
      const v = next();
      if (field === 'name' || field === 'display_name') {
        if (v.kind !== 'string') fail(file, v.line, `${k.text} must be a quoted string, got ${show(v)}`);
        if (field === 'name') name = v.text;
      } else if (field === 'id') {
        if (v.kind !== 'number' || !UINT.test(v.text)) fail(file, v.line, `${k.text} must be a non-negative integer, got ${show(v)}`);
        id = Number(v.text);
        idLine = v.line;
      } else if (field === 'label_type') {
        // PERSON_MOVEMENT, OBJECT_MANIPULATION, PERSON_INTERACTION: not needed for scoring.
        if (v.kind !== 'word') fail(file, v.line, `label_type must be a bare word, got ${show(v)}`);
      } else {
        fail(file, k.line, `unknown field '${k.text}' (expected name, id, label_id, label_type or display_name)`);
      }
    }
    if (id === undefined) fail(file, head.line, `${head.text} without an id`);
    if (name === undefined) fail(file, head.line, `${head.text} without a name`);
    if (map.has(id)) fail(file, idLine, `duplicate id ${id} (first at line ${idLines.get(id)})`);
    map.set(id, name);
    idLines.set(id, idLine);
  }
  if (map.size === 0) fail(file, 1, 'no items in the label map');
  return map;
}

export async function readAvaLabelMap(path: string): Promise<AvaLabelMap> {
  return parseAvaLabelMap(await readFile(path, 'utf8'), path);
}
