/**
 * Reads a POST /api/v2/query/timeseries answer into columns as its bytes arrive. A 2,000-series answer
 * over two weeks is ~100 MB of JSON; read whole, it would be held three times over (the bytes, their
 * text, and JSON.parse's tree of arrays) before a single column exists. Here each chunk is scanned once:
 * `times` and every `values` row become Float64Arrays as soon as their closing bracket arrives (each
 * row's few kilobytes parsed by JSON.parse: the same doubles, at native speed), the small parts
 * (`series`, `errors`) are kept as their own bytes and parsed at the end, and everything else is
 * skipped.
 *
 * The scanner is a JSON tokenizer that knows where it is, enough to find those fields wherever a
 * well-formed answer puts them. Anything that is not well-formed JSON, or a value in a row that is
 * neither a number nor null, makes `end()` throw a DatadogCallError('body').
 */
import { DatadogCallError } from './session';
import { timeseriesWireSchema } from './schema';

/** A v2 answer read into columns: the shared times, and per series its tags, query and values. */
export interface TimeseriesAnswer {
  /** False when the answer had no `data` (then `errors` may say why). */
  hasData: boolean;
  errors?: string;
  times: Float64Array;
  series: { groupTags: readonly string[] | null | undefined; queryIndex: number }[];
  /** One column per series, aligned with `times`; NaN where Datadog sent null. */
  values: Float64Array[];
}

/** `column` as `length` long: cut, or NaN-padded where a row was short (no data at its end). */
function fitted(column: Float64Array, length: number): Float64Array {
  if (column.length === length) return column;
  const out = new Float64Array(length).fill(NaN);
  out.set(column.subarray(0, Math.min(length, column.length)));
  return out;
}

/** What the scanner does with a value, by where it sits. */
const enum Role {
  Skip,
  /** data.attributes.times: numbers, read as one array. */
  Times,
  /** data.attributes.values: rows. */
  Rows,
  /** One row of data.attributes.values: numbers or null, read as one array. */
  Row,
  /** data.attributes.series, errors: kept as bytes, parsed at the end. */
  Keep,
}

interface Frame {
  array: boolean;
  role: Role;
  /** Where this container sits: '' for the answer, '.data', '.data.attributes', '.x[]'. */
  path: string;
  /** In an object: the key of the member being read (undefined until its key is read). */
  key: string | undefined;
  /** In an object: a key was read, its colon not yet. */
  afterKey: boolean;
  /** A value was read: a comma or the close comes next. */
  afterValue: boolean;
  items: number;
}

/** How the answer's `data` and `data.attributes` came: absent, null, an object, or something else. */
type Shape = 'absent' | 'null' | 'object' | 'other';

const quote = 0x22;
const backslash = 0x5c;
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
/** Bytes a JSON number is made of (Number() then rejects a bad order of them). */
const isNumberByte = (b: number) =>
  (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2b || b === 0x2e || b === 0x65 || b === 0x45;
const isLetter = (b: number) => b >= 0x61 && b <= 0x7a;

export class TimeseriesReader {
  private readonly stack: Frame[] = [];
  private finished = false;
  private failure: string | undefined;
  /** A token a chunk boundary may cut: its kind, bytes so far, and whether a backslash came last. */
  private token: 'key' | 'string' | 'number' | 'literal' | undefined;
  private pending: Buffer[] = [];
  private escaped = false;
  /** The kept value being read: the stack depth it sits at, and its bytes so far. */
  private keepDepth = -1;
  private keepFrom = 0;
  private keepPath = '';
  private kept: Buffer[] = [];
  /** `times` or a row whose closing bracket has not arrived yet: its bytes so far. */
  private array: { role: Role.Times | Role.Row; parts: Buffer[] } | undefined;
  private times: Float64Array | undefined;
  private rows: Float64Array[] = [];
  private series: Buffer | undefined;
  private errors: Buffer | undefined;
  private data: Shape = 'absent';
  private attributes: Shape = 'absent';

  write(chunk: Buffer): void {
    if (this.failure !== undefined) return;
    try {
      this.scan(chunk);
    } catch (error) {
      this.failure = (error as Error).message;
    }
  }

  end(): TimeseriesAnswer {
    if (this.failure === undefined && !this.finished) this.failure = 'it ends inside a value';
    if (this.failure !== undefined) throw new DatadogCallError('body', `unreadable answer (${this.failure})`);
    const parse = (bytes: Buffer | undefined): unknown =>
      bytes ? JSON.parse(bytes.toString('utf8')) : undefined;
    // The small parts are checked by the wire schema (times and rows were checked number by number).
    const placeholder = (shape: Shape, object: object) =>
      shape === 'object' ? object : shape === 'null' ? null : 0;
    const checked = timeseriesWireSchema.safeParse({
      ...(this.data === 'absent'
        ? {}
        : {
            data: placeholder(
              this.data,
              this.attributes === 'absent'
                ? {}
                : { attributes: placeholder(this.attributes, { series: parse(this.series) }) },
            ),
          }),
      errors: parse(this.errors),
    });
    if (!checked.success) throw new DatadogCallError('body', 'unreadable answer: not a timeseries response');
    const errors = checked.data.errors ?? undefined;
    const attributes = checked.data.data?.attributes;
    if (!attributes) {
      return {
        hasData: false,
        ...(errors ? { errors } : {}),
        times: new Float64Array(0),
        series: [],
        values: [],
      };
    }
    const times = this.times ?? new Float64Array(0);
    const series = attributes.series ?? [];
    return {
      hasData: true,
      ...(errors ? { errors } : {}),
      times,
      series: series.map((s) => ({ groupTags: s.group_tags, queryIndex: s.query_index })),
      // A short row has no data at its end; a long one's extra values have no time.
      values: series.map((_, i) => fitted(this.rows[i] ?? new Float64Array(0), times.length)),
    };
  }

  private scan(chunk: Buffer): void {
    const n = chunk.length;
    this.keepFrom = 0;
    let i = this.array ? this.readArray(chunk, 0) : this.token === undefined ? 0 : this.readToken(chunk, 0);
    while (i < n) {
      const b = chunk[i]!;
      if (isSpace(b)) {
        i++;
        continue;
      }
      if (this.finished) throw new Error('more follows the answer');
      const top = this.stack[this.stack.length - 1];
      if (b === 0x2c /* , */) {
        if (!top?.afterValue) throw new Error('a comma out of place');
        top.afterValue = false;
        if (!top.array) top.key = undefined;
        i++;
      } else if (b === 0x3a /* : */) {
        if (!top || top.array || !top.afterKey) throw new Error('a colon out of place');
        top.afterKey = false;
        i++;
      } else if (b === 0x7d /* } */ || b === 0x5d /* ] */) {
        if (!top || top.array !== (b === 0x5d)) throw new Error('a bracket out of place');
        if (top.afterKey || (!top.afterValue && (top.items > 0 || top.key !== undefined)))
          throw new Error('a value is missing');
        this.stack.pop();
        i++;
        this.valueEnded(chunk, i);
      } else if (top && !top.array && top.key === undefined && !top.afterValue) {
        if (b !== quote) throw new Error('a key is missing');
        this.token = 'key';
        i = this.readToken(chunk, i + 1);
      } else {
        if (top && (top.afterValue || top.afterKey)) throw new Error('a comma or colon is missing');
        i = this.startValue(chunk, i, b, top);
      }
    }
    if (this.keepDepth >= 0) this.kept.push(chunk.subarray(this.keepFrom));
  }

  /** A value starts at chunk[i]: a container is opened, a token begins. Returns where scanning goes on. */
  private startValue(chunk: Buffer, i: number, b: number, top: Frame | undefined): number {
    const opens = b === 0x7b /* { */ || b === 0x5b; /* [ */
    if (!top && b !== 0x7b) throw new Error('not a timeseries response');
    if (top?.role === Role.Rows && b !== 0x5b) throw new Error('a row is not an array');
    const path = !top ? '' : top.array ? `${top.path}[]` : `${top.path}.${top.key}`;
    const role = this.roleAt(top, path);
    // `data`, `attributes`, `times` and `values` may be null (nothing there); anything else is no answer.
    const shape: Shape = b === 0x7b ? 'object' : b === 0x6e /* n */ ? 'null' : 'other';
    if (path === '.data') this.data = shape;
    if (path === '.data.attributes') this.attributes = shape;
    if ((role === Role.Times || role === Role.Rows) && b !== 0x5b && shape !== 'null')
      throw new Error('not a timeseries response');
    if (role === Role.Keep && this.keepDepth < 0) {
      this.keepDepth = this.stack.length;
      this.keepFrom = i;
      this.keepPath = path;
      this.kept = [];
    }
    if (opens && (role === Role.Times || role === Role.Row)) {
      this.array = { role, parts: [] };
      return this.readArray(chunk, i);
    }
    if (opens) {
      if (role === Role.Rows) this.rows = [];
      const array = b === 0x5b;
      this.stack.push({ array, role, path, key: undefined, afterKey: false, afterValue: false, items: 0 });
      return i + 1;
    }
    if (b === quote) {
      this.token = 'string';
      return this.readToken(chunk, i + 1);
    }
    return this.startScalar(chunk, i, b);
  }

  private startScalar(chunk: Buffer, i: number, b: number): number {
    if (isLetter(b)) this.token = 'literal';
    else if (isNumberByte(b)) this.token = 'number';
    else throw new Error(`unexpected character "${String.fromCharCode(b)}"`);
    return this.readToken(chunk, i);
  }

  /** What a value at `path` is for. */
  private roleAt(top: Frame | undefined, path: string): Role {
    if (!top) return Role.Skip;
    if (top.role === Role.Rows) return Role.Row;
    if (top.role !== Role.Skip) return top.role;
    if (path === '.data.attributes.times') return Role.Times;
    if (path === '.data.attributes.values') return Role.Rows;
    if (path === '.data.attributes.series' || path === '.errors') return Role.Keep;
    return Role.Skip;
  }

  /** Read the current token on from chunk[from]; returns where scanning goes on (n: it continues in the next chunk). */
  private readToken(chunk: Buffer, from: number): number {
    const n = chunk.length;
    if (this.token === 'key' || this.token === 'string') {
      for (let j = from; j < n; j++) {
        const b = chunk[j]!;
        if (this.escaped) this.escaped = false;
        else if (b === backslash) this.escaped = true;
        else if (b === quote) {
          this.stringEnded(chunk, from, j);
          return j + 1;
        } else if (b < 0x20) throw new Error('a control character in a string');
      }
      this.pending.push(chunk.subarray(from));
      return n;
    }
    const accepts = this.token === 'number' ? isNumberByte : isLetter;
    let end = from;
    while (end < n && accepts(chunk[end]!)) end++;
    if (end === n) {
      this.pending.push(chunk.subarray(from));
      return n;
    }
    this.scalarEnded(this.tokenText(chunk, from, end, 'latin1'), chunk, end);
    return end;
  }

  /**
   * Read `times` or a row on from chunk[from] up to its closing bracket: a flat array of numbers and
   * nulls holds no bracket, brace or quote, so the bracket ends it, and JSON.parse reads it whole.
   */
  private readArray(chunk: Buffer, from: number): number {
    const array = this.array!;
    // A new array starts at its opening bracket, which is not its end.
    const start = array.parts.length === 0 ? from + 1 : from;
    for (let j = start; j < chunk.length; j++) {
      const b = chunk[j]!;
      if (b === 0x5d /* ] */) {
        array.parts.push(chunk.subarray(from, j + 1));
        this.array = undefined;
        this.arrayEnded(array.role, Buffer.concat(array.parts).toString('latin1'));
        this.valueEnded(chunk, j + 1);
        return j + 1;
      }
      if (b === 0x5b || b === 0x7b || b === quote) throw new Error('a value is neither a number nor null');
    }
    array.parts.push(chunk.subarray(from));
    return chunk.length;
  }

  private arrayEnded(role: Role.Times | Role.Row, text: string): void {
    const items = JSON.parse(text) as unknown[];
    const column = new Float64Array(items.length);
    for (let k = 0; k < items.length; k++) {
      const v = items[k];
      if (typeof v === 'number') column[k] = v;
      else if (v === null && role === Role.Row) column[k] = NaN;
      else
        throw new Error(
          role === Role.Row ? 'a value is neither a number nor null' : 'a time is not a number',
        );
    }
    if (role === Role.Times) this.times = column;
    else this.rows.push(column);
  }

  /** The current token's text: what earlier chunks held of it, and chunk[from..end). */
  private tokenText(chunk: Buffer, from: number, end: number, encoding: 'latin1' | 'utf8'): string {
    this.token = undefined;
    if (this.pending.length === 0) return chunk.toString(encoding, from, end);
    const whole = Buffer.concat([...this.pending, chunk.subarray(from, end)]);
    this.pending = [];
    return whole.toString(encoding);
  }

  /** A string (or key) ended at chunk[end], its closing quote. */
  private stringEnded(chunk: Buffer, from: number, end: number): void {
    const kind = this.token;
    const raw = this.tokenText(chunk, from, end, 'utf8');
    if (kind === 'key') {
      const top = this.stack[this.stack.length - 1]!;
      top.key = JSON.parse(`"${raw}"`) as string;
      top.afterKey = true;
      return;
    }
    this.valueEnded(chunk, end + 1);
  }

  /** A number or literal, `text`, ended just before chunk[end]. */
  private scalarEnded(text: string, chunk: Buffer, end: number): void {
    let value: number | undefined;
    if (isLetter(text.charCodeAt(0))) {
      if (text === 'null') value = NaN;
      else if (text !== 'true' && text !== 'false') throw new Error(`unexpected "${text.slice(0, 12)}"`);
    } else {
      value = Number(text);
      if (Number.isNaN(value)) throw new Error(`not a number: "${text.slice(0, 24)}"`);
    }
    this.valueEnded(chunk, end);
  }

  /** A value ended just before chunk[end]. */
  private valueEnded(chunk: Buffer, end: number): void {
    if (this.keepDepth === this.stack.length) {
      this.kept.push(chunk.subarray(this.keepFrom, end));
      if (this.keepPath === '.errors') this.errors = Buffer.concat(this.kept);
      else this.series = Buffer.concat(this.kept);
      this.kept = [];
      this.keepDepth = -1;
    }
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      this.finished = true;
      return;
    }
    top.afterValue = true;
    top.items++;
  }
}
