import * as t from 'io-ts';
import { isLeft } from './either';
import { InvalidConfigError, type ConfigIssue } from '../errors/InvalidConfigError';

/**
 * Reads `input` once and decodes what was read with `codec`, or throws `InvalidConfigError` naming
 * `operator` and every bad field: its path, what was expected (the codec's name, written for people) and
 * what was received. Keys the codec does not know are reported too, so a typo (`eachh`) never passes
 * silently. Returns the copy that was validated (see {@link readConfig}): use it, never `input` again.
 *
 * The reporter is io-ts's documented custom-reporter hook: it walks each error's context, drops the
 * root entry and the entries that only index members of an intersection or union, and joins the rest.
 * @internal
 */
export function decodeConfig<A>(operator: string, codec: t.Decoder<unknown, A> & t.Mixed, input: unknown): A {
  const { value, issues } = readConfig<A>(codec, input);
  if (issues.length > 0) throw new InvalidConfigError({ operator, issues });
  return value;
}

/** A config as read once, and every issue of it (empty when it is valid). @internal */
export interface ReadConfig<A> {
  /** The copy that was validated: what the operator must use. */
  readonly value: A;
  readonly issues: ConfigIssue[];
}

/**
 * Reads `input` into a plain object, each field once, then validates that copy with `codec`, without
 * throwing. A config is read as object spread reads it (own enumerable string keys), recursing into the
 * fields whose codec is itself a config object (`window`); any other value (a function, a scheduler, an
 * array) is kept as given. So a getter is called once, and what is validated is exactly what is used:
 * a getter returning 1 then -1 cannot pass as 1 and act as -1.
 *
 * A config object must be a plain object (an object literal, or an object without prototype): a `Map`
 * carrying the fields, or a class instance, is reported rather than read. A getter or `Proxy` trap that
 * throws is reported as an issue at its path, never passed on raw.
 *
 * Issues come in this order: fields that could not be read, fields of the wrong value (the codec's own
 * report), then keys the codec does not know.
 * @internal
 */
export function readConfig<A>(codec: t.Mixed, input: unknown): ReadConfig<A> {
  const shape = shapeOf(codec);
  const reading = new Reading();
  const value = shape === null ? input : readObject(shape, input, '', reading);
  const issues: ConfigIssue[] = reading.issues ?? [];
  const unreadable = reading.unreadable;
  if (unreadable !== null && unreadable.includes('')) return { value: value as A, issues };
  try {
    if (shape !== null && shape.tagged === undefined && !isPlainObject(value)) {
      issues.push(configIssue('', 'an object', value));
      // Operators are often created once per call (`defer(...).pipe(timeoutAfter(...))` inside a
      // mergeMap), so a valid config takes the fast path: io-ts's allocation-free `is`. Only a config
      // that fails it pays for `validate` and its error contexts.
    } else if (!codec.is(value)) {
      const result = codec.validate(value, t.getDefaultContext(codec));
      if (isLeft(result)) {
        for (const error of result.left) {
          const issue = toIssue(error);
          if (unreadable === null || !unreadable.some((path) => covers(path, issue.path))) {
            issues.push(issue);
          }
        }
      }
    }
  } catch (err) {
    // A codec reads nested values (a scheduler's `now`): a hostile one may throw there.
    issues.push(thrownIssue('', err));
  }
  if (reading.unknown !== null) issues.push(...reading.unknown);
  return { value: value as A, issues: issues.length < 2 ? issues : distinct(issues) };
}

/** True when `path` is `at` or a field inside it. */
function covers(at: string, path: string): boolean {
  return path === at || path.startsWith(`${at}.`);
}

/** What reading a config gathers on its way; nothing is allocated for a config read without issue. */
class Reading {
  /** Fields that could not be read. */
  issues: ConfigIssue[] | null = null;
  /** Keys the codec does not declare. */
  unknown: ConfigIssue[] | null = null;
  /** Paths that could not be read: the codec's report about them or below them is left out. */
  unreadable: string[] | null = null;

  /** `path` could not be read, for the reason `issue` gives. */
  fail(path: string, issue: ConfigIssue): void {
    (this.issues ??= []).push(issue);
    (this.unreadable ??= []).push(path);
  }
}

/** Copies a config object at `path` (see `readConfig`); anything else is returned as given. */
function readObject(shape: Shape, input: unknown, path: string, reading: Reading): unknown {
  if (!isPlainObject(input)) return input;
  // Object spread reads each own enumerable field once, and is what V8 copies fastest. Only when a read
  // throws are the fields read one by one, to name the one that threw.
  let copy: Record<string, unknown>;
  try {
    if (!hasPlainPrototype(input)) {
      reading.fail(path, configIssue(path, 'a plain object', input));
      return input;
    }
    copy = { ...input };
  } catch {
    const read = readFields(input, path, reading);
    if (read === null) return input;
    copy = read;
  }
  // A tagged union's fields are those of the member its tag names (none known if the tag is bad).
  const fields = shape.tagged === undefined ? shape : shapeOf(memberCodec(shape.tagged, copy));
  if (fields === null) return copy;
  const { props, nested } = fields;
  for (const key of Object.keys(copy)) {
    if (!Object.hasOwn(props, key)) {
      const at = path === '' ? key : `${path}.${key}`;
      (reading.unknown ??= []).push(unknownKeyIssue(at, Object.keys(props), copy[key]));
    } else if (nested !== null && nested.has(key)) {
      const inner = shapeOf(props[key]);
      const at = path === '' ? key : `${path}.${key}`;
      if (inner !== null) copy[key] = readObject(inner, copy[key], at, reading);
    }
  }
  return copy;
}

/**
 * Copies the fields of `input` one by one, reporting each one whose read throws (it is left out of the
 * copy); `null` when not even its keys can be listed (a `Proxy` trap).
 */
function readFields(input: object, path: string, reading: Reading): Record<string, unknown> | null {
  let keys: string[];
  try {
    keys = Object.keys(input);
  } catch (err) {
    reading.fail(path, thrownIssue(path, err));
    return null;
  }
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    try {
      const value = (input as Record<string, unknown>)[key];
      Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
    } catch (err) {
      const at = path === '' ? key : `${path}.${key}`;
      reading.fail(at, thrownIssue(at, err));
    }
  }
  return copy;
}

/** Issues without repeats of one path and expectation (an intersection may report a field twice). */
function distinct(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.expected}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** An issue for a field (or config) whose reading threw. */
function thrownIssue(path: string, thrown: unknown): ConfigIssue {
  const subject = path === '' ? 'config' : `\`${path}\``;
  return {
    path,
    expected: 'a value that can be read',
    received: thrown,
    message: `${subject} could not be read: reading it threw ${describeThrown(thrown)}`,
  };
}

/** `TypeError: boom` for an error, else the value as `describeValue` gives it. */
function describeThrown(thrown: unknown): string {
  try {
    if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  } catch {
    // fall through: a hostile object
  }
  return describeValue(thrown);
}

function toIssue(error: t.ValidationError): ConfigIssue {
  const keys: string[] = [];
  const { context } = error;
  for (let i = 1; i < context.length; i++) {
    if (indexesMembers(context[i - 1]!.type)) continue;
    keys.push(context[i]!.key);
  }
  const last = context[context.length - 1]!;
  return configIssue(keys.join('.'), last.type.name, error.value);
}

/** An intersection or union (also under `exact`) puts member indexes, not field names, in the context. */
function indexesMembers(type: t.Decoder<unknown, unknown>): boolean {
  const inner = type instanceof t.ExactType ? (type.type as t.Decoder<unknown, unknown>) : type;
  return inner instanceof t.IntersectionType || inner instanceof t.UnionType;
}

/** One issue, worded as every config error is: ``\`path\` must be <expected>, got <received>``. @internal */
export function configIssue(path: string, expected: string, received: unknown): ConfigIssue {
  const subject = path === '' ? 'config' : `\`${path}\``;
  return {
    path,
    expected,
    received,
    message: `${subject} must be ${expected}, got ${describeValue(received)}`,
  };
}

function unknownKeyIssue(path: string, known: ReadonlyArray<string>, received: unknown): ConfigIssue {
  const expected = `one of the known options (${known.map((k) => `\`${k}\``).join(', ')})`;
  return {
    path,
    expected,
    received,
    message: `unknown option \`${path}\`: expected ${expected}, got ${describeValue(received)}`,
  };
}

/** A union of config objects told apart by a string field (`codecs.tagged`). */
interface Tagged {
  readonly key: string;
  readonly members: Record<string, t.Mixed>;
}

/**
 * What reading needs to know of a config codec: its declared fields, which of them are config objects
 * themselves, and for a tagged union its tag and members (its fields are then the named member's).
 */
interface Shape {
  readonly props: t.Props;
  /** Fields whose codec is a config object or a tagged union of them, read recursively (`null`: none). */
  readonly nested: ReadonlySet<string> | null;
  readonly tagged: Tagged | undefined;
}

/** The shape of each codec (`null`: not a config object), computed once per codec. */
const shapes = new WeakMap<t.Mixed, Shape | null>();

function shapeOf(codec: t.Mixed | undefined): Shape | null {
  if (codec === undefined) return null;
  let shape = shapes.get(codec);
  if (shape === undefined) {
    shape = computeShape(codec);
    shapes.set(codec, shape);
  }
  return shape;
}

function computeShape(codec: t.Mixed): Shape | null {
  const tagged = codec as Partial<Tagged>;
  if (tagged.key !== undefined && tagged.members !== undefined) {
    return { props: {}, nested: null, tagged: tagged as Tagged };
  }
  const props = propsOf(codec);
  if (props === undefined) return null;
  const nested = Object.keys(props).filter((key) => shapeOf(props[key]) !== null);
  return { props, nested: nested.length === 0 ? null : new Set(nested), tagged: undefined };
}

/** The member of `tagged` that `value`'s tag names, if any. */
function memberCodec(tagged: Tagged, value: Record<string, unknown>): t.Mixed | undefined {
  const tag = value[tagged.key];
  return typeof tag === 'string' && Object.hasOwn(tagged.members, tag) ? tagged.members[tag] : undefined;
}

/** The declared fields of an object codec (exact, interface, partial, or an intersection of them). */
function propsOf(codec: t.Mixed): t.Props | undefined {
  if (codec instanceof t.ExactType) return propsOf(codec.type as t.Mixed);
  if (codec instanceof t.InterfaceType || codec instanceof t.PartialType) return codec.props as t.Props;
  if (codec instanceof t.IntersectionType) {
    const all: t.Props = {};
    for (const member of codec.types as t.Mixed[]) {
      const props = propsOf(member);
      if (props === undefined) return undefined;
      Object.assign(all, props);
    }
    return all;
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * True for an object literal or an object without prototype: its prototype is `null` or a root
 * prototype (`Object.prototype` of this realm or another: a config built in a `vm` context or an iframe
 * passes). A `Map`, a `Date` or a class instance has a prototype of its own, and does not. May throw
 * (a `Proxy` trap).
 */
function hasPlainPrototype(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** `-1 (number)`, `"full" (string)`, `undefined`, `null`, `[1,2] (array)`, `[Function] (function)`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      return `${Object.is(value, -0) ? '-0' : String(value)} (number)`;
    case 'string':
      return `${JSON.stringify(value)} (string)`;
    case 'bigint':
      return `${value}n (bigint)`;
    case 'function':
      return `[Function${value.name ? ` ${value.name}` : ''}] (function)`;
    case 'object': {
      let text: string;
      try {
        text = JSON.stringify(value) ?? String(value);
      } catch {
        try {
          text = Object.prototype.toString.call(value);
        } catch {
          text = '[object]'; // a Proxy whose traps throw
        }
      }
      if (text.length > 60) text = `${text.slice(0, 57)}...`;
      return `${text} (${Array.isArray(value) ? 'array' : kindOf(value)})`;
    }
    default:
      return `${String(value)} (${typeof value})`;
  }
}

/** `object` for a plain object, else its constructor's name (`Map`, `Date`, a class): what it is. */
function kindOf(value: object): string {
  try {
    if (hasPlainPrototype(value)) return 'object';
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? name : 'object';
  } catch {
    return 'object';
  }
}
