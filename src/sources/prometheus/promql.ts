/**
 * Fetching a template for many stacks in one range query.
 *
 * When every stack's query is the same template and the stacks differ in one var that only fills
 * equality matchers of one label (`service="{{service}}"`), the query for all of them is the same
 * expression with `service=~"a|b|c"`, every aggregation keeping `service` in its `by (…)`, and the
 * answer is split back by that label. Anything this rewrite cannot prove harmless (`without`,
 * `on`/`ignoring` matching, label-changing functions, an aggregation that does not see the
 * matcher) is fetched one request per distinct query instead.
 */
import type { QueryGroup, QueryMember } from '../types';

/** One request to make and the members its answer feeds. */
export type PromRequest = GroupedRequest | SingleRequest;

/** One query for every stack of a template, its answer split by `label`. */
export interface GroupedRequest {
  kind: 'grouped';
  query: string;
  /** The label whose value tells the stacks apart in the answer. */
  label: string;
  /** Label value → members it feeds (two stacks may share a value). */
  byValue: Map<string, QueryMember[]>;
}

export interface SingleRequest {
  kind: 'single';
  query: string;
  members: QueryMember[];
}

const placeholder = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Requests for one template group: one grouped request when possible, else one per distinct query. */
export function planGroup(group: QueryGroup): PromRequest[] {
  const grouped = tryGroup(group);
  return grouped ? [grouped] : singles(group.members);
}

/** One request per distinct query; members with the same query share it. */
export function singles(members: readonly QueryMember[]): SingleRequest[] {
  const byQuery = new Map<string, QueryMember[]>();
  for (const m of members) byQuery.set(m.query, [...(byQuery.get(m.query) ?? []), m]);
  return [...byQuery].map(([query, ms]) => ({ kind: 'single' as const, query, members: ms }));
}

/** Every member a request feeds. */
export function membersOf(request: PromRequest): QueryMember[] {
  return request.kind === 'grouped' ? [...request.byValue.values()].flat() : request.members;
}

/**
 * A grouped answer split back by the request's label: label value → its series. Undefined when a
 * series lacks the label or holds a value nobody asked for: the expression did not keep the label,
 * so the answer cannot be told apart and each stack needs its own query.
 */
export function splitByLabel<S>(
  request: GroupedRequest,
  found: readonly S[],
  labelsOf: (series: S) => Readonly<Record<string, string>>,
): Map<string, S[]> | undefined {
  const byValue = new Map<string, S[]>();
  for (const s of found) {
    const value = labelsOf(s)[request.label];
    if (value === undefined || !request.byValue.has(value)) return undefined;
    byValue.set(value, [...(byValue.get(value) ?? []), s]);
  }
  return byValue;
}

function fill(template: string, vars: Record<string, string>, keep?: string): string {
  return template.replace(placeholder, (whole, name: string) =>
    name === keep ? whole : (vars[name] ?? whole),
  );
}

function tryGroup(group: QueryGroup): GroupedRequest | undefined {
  const { template, members } = group;
  if (members.length < 2) return undefined;
  // The template must be what made each member's query, or the rewrite would not mean the same.
  if (members.some((m) => fill(template, m.vars) !== m.query)) return undefined;

  const names = [...new Set([...template.matchAll(placeholder)].map((m) => m[1]!))];
  const varying = names.filter((n) => new Set(members.map((m) => m.vars[n])).size > 1);
  if (varying.length !== 1) return undefined;
  const name = varying[0]!;
  const values = [...new Set(members.map((m) => m.vars[name]!))].sort();
  if (values.some((v) => v === '')) return undefined;

  // Every other var is the same for all members: fill it, keep only the varying placeholder.
  const partial = fill(template, members[0]!.vars, name);
  const rewritten = rewriteForLabel(partial, name, values);
  if (!rewritten) return undefined;

  const byValue = new Map<string, QueryMember[]>();
  for (const m of members) byValue.set(m.vars[name]!, [...(byValue.get(m.vars[name]!) ?? []), m]);
  return { kind: 'grouped', query: rewritten.query, label: rewritten.label, byValue };
}

// ---------------------------------------------------------------------------------------------
// A small PromQL lexer: enough to find strings, matchers, identifiers and brackets reliably.

interface Token {
  kind: 'ident' | 'string' | 'op' | 'punct' | 'other' | 'space';
  text: string;
  start: number;
  end: number;
}

export function lex(query: string): Token[] {
  const tokens: Token[] = [];
  const rules: [Token['kind'], RegExp][] = [
    ['space', /\s+|#[^\n]*/y],
    ['string', /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/y],
    ['ident', /[A-Za-z_:][A-Za-z0-9_:]*/y],
    ['other', /[0-9.][0-9A-Za-z_.]*/y],
    ['op', /=~|!~|!=|==|>=|<=|[-+*/%^=<>@]/y],
    ['punct', /[(){}[\],]/y],
  ];
  let at = 0;
  outer: while (at < query.length) {
    for (const [kind, re] of rules) {
      re.lastIndex = at;
      const m = re.exec(query);
      if (m && m[0].length > 0) {
        tokens.push({ kind, text: m[0], start: at, end: at + m[0].length });
        at += m[0].length;
        continue outer;
      }
    }
    tokens.push({ kind: 'other', text: query[at]!, start: at, end: at + 1 });
    at++;
  }
  return tokens;
}

/** Functions and modifiers that drop, add or rewrite labels, or match vectors on chosen labels. */
const unsafe = new Set([
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'label_replace',
  'label_join',
  'scalar',
  'vector',
  'absent',
  'absent_over_time',
  'count_values',
  'info',
]);

const aggregations = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);

interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * Rewrite `query` (holding `{{name}}` placeholders) so that one request answers for every value:
 * each `label="{{name}}"` becomes `label=~"v1|v2|…"` and each aggregation keeps `label`.
 * Undefined when that is not provably the same as one query per value.
 */
export function rewriteForLabel(
  query: string,
  name: string,
  values: readonly string[],
): { query: string; label: string } | undefined {
  const tokens = lex(query);
  const code = tokens.map((t, i) => ({ t, i })).filter(({ t }) => t.kind !== 'space');
  const ph = new RegExp(`^\\{\\{\\s*${name}\\s*\\}\\}$`);
  const occurrences = [...query.matchAll(placeholder)].filter((m) => m[1] === name).length;

  // 1. The placeholder appears only as whole `label="{{name}}"` matchers inside braces, one label.
  const edits: Edit[] = [];
  const matcherAt: number[] = [];
  let label: string | undefined;
  let braces = 0;
  for (let k = 0; k < code.length; k++) {
    const { t } = code[k]!;
    if (t.text === '{' && t.kind === 'punct') braces++;
    if (t.text === '}' && t.kind === 'punct') braces--;
    if (t.kind === 'ident' && braces === 0 && unsafe.has(t.text)) return undefined;
    if (t.kind !== 'string' || !ph.test(t.text.slice(1, -1))) continue;
    const op = code[k - 1]?.t;
    const key = code[k - 2]?.t;
    if (braces <= 0 || op?.text !== '=' || key?.kind !== 'ident' || key.text === '__name__') return undefined;
    if (label !== undefined && key.text !== label) return undefined;
    label = key.text;
    matcherAt.push(t.start);
    edits.push({ start: op.start, end: op.end, text: '=~' });
    edits.push({ start: t.start, end: t.end, text: promString(values.map(regexQuote).join('|')) });
  }
  if (!label || matcherAt.length !== occurrences) return undefined;

  // 2. Every aggregation keeps the label, and sees a rewritten matcher (else its meaning changes).
  braces = 0;
  for (let k = 0; k < code.length; k++) {
    const { t } = code[k]!;
    if (t.text === '{' && t.kind === 'punct') braces++;
    if (t.text === '}' && t.kind === 'punct') braces--;
    if (braces > 0 || t.kind !== 'ident' || !aggregations.has(t.text)) continue;
    let next = k + 1;
    let grouping: { open: number; close: number } | undefined;
    if (code[next]?.t.text === 'by') {
      grouping = parenRange(code, next + 1);
      if (!grouping) return undefined;
      next = grouping.close + 1;
    }
    if (code[next]?.t.text !== '(') continue; // a metric that happens to be called "sum"
    const args = parenRange(code, next);
    if (!args) return undefined;
    const argStart = code[args.open]!.t.start;
    const argEnd = code[args.close]!.t.end;
    if (!matcherAt.some((at) => at > argStart && at < argEnd)) return undefined;
    if (!grouping && code[args.close + 1]?.t.text === 'by') {
      grouping = parenRange(code, args.close + 2);
      if (!grouping) return undefined;
    }
    if (grouping) {
      const edit = addToGrouping(code, grouping, label);
      if (edit) edits.push(edit);
    } else {
      edits.push({ start: t.end, end: t.end, text: ` by (${label}) ` });
    }
  }

  let out = query;
  for (const e of edits.sort((a, b) => b.start - a.start))
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { query: out, label };
}

type Code = { t: Token; i: number }[];

/** The index range of a parenthesised group that opens at code[open], or undefined. */
function parenRange(code: Code, open: number): { open: number; close: number } | undefined {
  if (code[open]?.t.text !== '(') return undefined;
  let depth = 0;
  for (let k = open; k < code.length; k++) {
    const text = code[k]!.t.text;
    if (code[k]!.t.kind !== 'punct') continue;
    if (text === '(') depth++;
    if (text === ')' && --depth === 0) return { open, close: k };
  }
  return undefined;
}

function addToGrouping(code: Code, g: { open: number; close: number }, label: string): Edit | undefined {
  const inner = code.slice(g.open + 1, g.close).map((c) => c.t);
  if (inner.some((t) => t.kind === 'ident' && t.text === label)) return undefined;
  const close = code[g.close]!.t;
  const last = inner[inner.length - 1];
  const text = !last || last.text === ',' ? label : `, ${label}`;
  return { start: close.start, end: close.start, text };
}

/** RE2 (fully anchored by Prometheus) matching exactly `value`. */
export function regexQuote(value: string): string {
  return value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** A double-quoted PromQL string literal holding `text`. */
export function promString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
