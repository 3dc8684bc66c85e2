/**
 * Turning a template shared by many stacks into one SPL search split `by <field>`, and its answer
 * back into each stack's rows. Pure: no I/O.
 *
 * A template can be grouped when the stacks differ in one var only, that var appears once, as the
 * value of a field (`service={{service}}` or `service="{{service}}"`), and the search ends in a
 * command whose split we can add and read back:
 * - `timechart … <agg>` (no `by` yet) → `timechart limit=0 … <agg> by <field> useother=f usenull=f`;
 *   the answer has one column per field value (wide);
 * - `| mstats … WHERE …` (no `BY` yet) → `… BY <field> span=…`; one row per time and value (long);
 * - `stats … by _time` (after `bin _time`) → `stats … by _time <field>` (long);
 * - an event search (deployments, alerts): any search whose rows keep the field; a closing
 *   `table`/`fields` list gets the field added (long).
 * Anything else is asked stack by stack.
 */

/** What a member of a search needs: its filled query and the vars that filled it. */
export interface Templated {
  query: string;
  vars?: Record<string, string>;
}

export type SearchShape = 'wide' | 'long';

export type PlannedSearch<M extends Templated> =
  | { kind: 'single'; search: string; members: M[] }
  | { kind: 'grouped'; search: string; field: string; shape: SearchShape; byValue: Map<string, M[]> };

export type Row = Record<string, unknown>;

/** The members of a planned search. */
export function membersOf<M extends Templated>(search: PlannedSearch<M>): M[] {
  return search.kind === 'single' ? search.members : [...search.byValue.values()].flat();
}

/** One search per distinct query (stacks or metrics with the same query share it). */
export function singleSearches<M extends Templated>(members: readonly M[]): PlannedSearch<M>[] {
  const byQuery = new Map<string, M[]>();
  for (const m of members) byQuery.set(m.query, [...(byQuery.get(m.query) ?? []), m]);
  return [...byQuery].map(([query, ms]) => ({ kind: 'single', search: asSearch(query), members: ms }));
}

/** The searches for a template's members: one grouped search where possible, else one per query. */
export function planSearches<M extends Templated>(
  template: string,
  members: readonly M[],
  purpose: 'metrics' | 'events',
): PlannedSearch<M>[] {
  const grouped = groupedSearch(template, members, purpose);
  return grouped ? [grouped] : singleSearches(members);
}

const varPattern = (name: string) => new RegExp(`\\{\\{\\s*${name}\\s*\\}\\}`, 'g');

function groupedSearch<M extends Templated>(
  template: string,
  members: readonly M[],
  purpose: 'metrics' | 'events',
): PlannedSearch<M> | undefined {
  const distinct = new Set(members.map((m) => m.query));
  if (distinct.size < 2) return undefined;
  const first = members[0]!.vars ?? {};
  const names = new Set(members.flatMap((m) => Object.keys(m.vars ?? {})));
  const varying = [...names].filter((n) => members.some((m) => m.vars?.[n] !== first[n]));
  if (varying.length !== 1) return undefined;
  const name = varying[0]!;
  if (members.some((m) => m.vars?.[name] === undefined)) return undefined;
  if ((template.match(varPattern(name)) ?? []).length !== 1) return undefined;

  // The var must be the whole value of one field: `field=…` or `field="…"`, not inside a subsearch.
  const at = new RegExp(
    `(^|[\\s(])([A-Za-z][\\w.:-]*)\\s*=\\s*("?)\\{\\{\\s*${name}\\s*\\}\\}\\3(?=$|[\\s)|])`,
  ).exec(template);
  if (!at) return undefined;
  const field = at[2]!;
  const start = at.index + at[1]!.length;
  const before = template.slice(0, start);
  if (countOutsideQuotes(before, '[') !== countOutsideQuotes(before, ']')) return undefined;
  // Only a filter of the generating command (the search terms, mstats' WHERE) selects events by
  // the field; the same text after a pipe (eval s="{{service}}") means something else.
  const pipesBefore = splitPipes(before).length - 1;
  if (pipesBefore > (template.trim().startsWith('|') ? 1 : 0)) return undefined;

  const byValue = new Map<string, M[]>();
  for (const m of members) {
    const value = m.vars![name]!;
    byValue.set(value, [...(byValue.get(value) ?? []), m]);
  }
  const disjunction = `(${[...byValue.keys()].map((v) => `${field}=${quote(v)}`).join(' OR ')})`;
  const filled = fillOthers(
    `${before}${disjunction}${template.slice(start + at[0].length - at[1]!.length)}`,
    first,
  );
  const split = addSplit(filled, field, purpose);
  if (!split) return undefined;
  return { kind: 'grouped', search: asSearch(split.search), field, shape: split.shape, byValue };
}

/** The search with a `by <field>` split added to its last command, or undefined if we cannot. */
export function addSplit(
  search: string,
  field: string,
  purpose: 'metrics' | 'events',
): { search: string; shape: SearchShape } | undefined {
  const commands = splitPipes(search);
  const last = commands[commands.length - 1]!;
  const head = commands.slice(0, -1).join('|');
  const join = (command: string) => (commands.length > 1 ? `${head}| ${command}` : command);
  const trimmed = last.trim();
  const verb = trimmed.split(/\s+/)[0]?.toLowerCase() ?? '';

  if (purpose === 'events') {
    if (verb === 'table') return { search: join(`${trimmed} ${field}`), shape: 'long' };
    if (verb === 'fields' && !/^fields\s+-/i.test(trimmed))
      return { search: join(`${trimmed} ${field}`), shape: 'long' };
    if (['stats', 'timechart', 'chart', 'mstats', 'tstats', 'top', 'rare'].includes(verb)) return undefined;
    return { search, shape: 'long' };
  }
  if (hasWord(trimmed, 'by') || hasWord(trimmed, 'groupby')) {
    // stats … by _time: one more split field keeps a row per time and value.
    if (verb === 'stats' && /\bby\s+_time\s*$/i.test(trimmed))
      return { search: join(`${trimmed} ${field}`), shape: 'long' };
    return undefined;
  }
  if (verb === 'timechart') {
    const options = trimmed.slice('timechart'.length);
    if (/\blimit\s*=/i.test(options)) return undefined;
    return {
      search: join(`timechart limit=0${options} by ${field} useother=f usenull=f`),
      shape: 'wide',
    };
  }
  if (verb === 'mstats') {
    // BY goes before a closing span= (the order mstats documents).
    const span = /\s+span\s*=\s*\S+\s*$/i.exec(trimmed);
    const body = span ? trimmed.slice(0, span.index) : trimmed;
    return { search: join(`${body} BY ${field}${span ? span[0] : ''}`), shape: 'long' };
  }
  return undefined;
}

/**
 * Rows of a grouped answer per split value, or the reason they cannot be mapped to the stacks (a
 * column or value nobody asked for: Splunk matched a value in another case, or the split did not
 * take).
 */
export function splitRows(
  shape: SearchShape,
  field: string,
  values: ReadonlySet<string>,
  rows: readonly Row[],
): { byValue: Map<string, Row[]> } | { unmappable: string } {
  const byValue = new Map<string, Row[]>([...values].map((v) => [v, []]));
  if (shape === 'long') {
    for (const row of rows) {
      const value = row[field];
      if (typeof value !== 'string') return { unmappable: `a row without a single ${field} value` };
      const list = byValue.get(value);
      if (!list) return { unmappable: `${field}="${value}", which no stack asked for` };
      const rest = { ...row };
      delete rest[field];
      list.push(rest);
    }
    return { byValue };
  }
  for (const row of rows) {
    for (const column of Object.keys(row)) {
      if (!column.startsWith('_') && !byValue.has(column))
        return { unmappable: `a column "${column}", which no stack asked for` };
    }
    // Every row is a time bucket for every value; a value missing from it is a gap there.
    for (const [value, list] of byValue) list.push({ ...hidden(row), value: row[value] ?? null });
  }
  return { byValue };
}

/** The fields Splunk keeps for itself (_time, _span …). */
function hidden(row: Row): Row {
  return Object.fromEntries(Object.entries(row).filter(([k]) => k.startsWith('_')));
}

/** Value columns of rows: every field not starting with "_", in first-seen order. */
export function valueColumns(rows: readonly Row[]): string[] {
  const columns = new Set<string>();
  for (const row of rows) for (const k of Object.keys(row)) if (!k.startsWith('_')) columns.add(k);
  return [...columns];
}

/** Searches sent to the v2 export endpoint must start with a command: `search` unless it is a `|…`. */
export function asSearch(query: string): string {
  const q = query.trim();
  return q.startsWith('|') || /^search\s/i.test(q) ? q : `search ${q}`;
}

/** An SPL string literal. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function fillOthers(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (m, n: string) => vars[n] ?? m);
}

function hasWord(command: string, word: string): boolean {
  return splitOutsideQuotes(command).some((token) => token.toLowerCase() === word);
}

/** Top-level pipes only: not inside quotes or a [subsearch]. */
function splitPipes(search: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < search.length; i++) {
    const c = search[i]!;
    if (c === '\\' && quoted) {
      current += c + (search[++i] ?? '');
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '[') depth++;
    else if (!quoted && c === ']') depth--;
    if (c === '|' && !quoted && depth === 0) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function splitOutsideQuotes(text: string): string[] {
  return (text.match(/"(?:[^"\\]|\\.)*"|[^\s"]+/g) ?? []).filter((t) => !t.startsWith('"'));
}

function countOutsideQuotes(text: string, char: string): number {
  let n = 0;
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === char) n++;
  }
  return n;
}
