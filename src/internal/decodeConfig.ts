import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either';
import { InvalidConfigError, type ConfigIssue } from '../errors/InvalidConfigError';

/**
 * Decodes `input` with `codec` or throws `InvalidConfigError` naming `operator` and every bad field:
 * its path, what was expected (the codec's name, written for people) and what was received. Keys the
 * codec does not know are reported too, so a typo (`eachh`) never passes silently.
 *
 * The reporter is io-ts's documented custom-reporter hook: it walks each error's context, drops the
 * root entry and the entries that only index members of an intersection or union, and joins the rest.
 * @internal
 */
export function decodeConfig<A>(operator: string, codec: t.Decoder<unknown, A> & t.Mixed, input: unknown): A {
  const issues = configIssues(codec, input);
  if (issues.length > 0) throw new InvalidConfigError({ operator, issues });
  return input as A;
}

/** Every issue of `input` against `codec`, without throwing. @internal */
export function configIssues(codec: t.Mixed, input: unknown): ConfigIssue[] {
  if (isObjectCodec(codec) && !isPlainObject(input)) {
    return [configIssue('', 'an object', input)];
  }
  const issues: ConfigIssue[] = [];
  // Operators are often created once per call (`defer(...).pipe(timeoutAfter(...))` inside a mergeMap), so
  // a valid config takes the fast path: io-ts's allocation-free `is`, then the key scan. Only a config
  // that fails `is` pays for `validate` and its error contexts.
  if (!codec.is(input)) {
    const result = codec.validate(input, t.getDefaultContext(codec));
    if (isLeft(result)) for (const error of result.left) issues.push(toIssue(error));
  }
  unknownKeys(codec, input, '', issues);
  if (issues.length < 2) return issues;
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.expected}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
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

/** Reports keys of `value` that `codec` does not declare, recursing into nested config objects. */
function unknownKeys(codec: t.Mixed, value: unknown, prefix: string, out: ConfigIssue[]): void {
  if (!isPlainObject(value)) return;
  const tagged = codec as Partial<{ key: string; members: Record<string, t.Mixed> }>;
  if (tagged.key !== undefined && tagged.members !== undefined) {
    const tag = value[tagged.key];
    const member =
      typeof tag === 'string' && Object.hasOwn(tagged.members, tag) ? tagged.members[tag] : undefined;
    if (member !== undefined) unknownKeys(member, value, prefix, out);
    return;
  }
  const props = propsOf(codec);
  if (props === undefined) return;
  for (const key of Object.keys(value)) {
    const field = value[key];
    if (!Object.hasOwn(props, key)) {
      out.push(unknownKeyIssue(prefix === '' ? key : `${prefix}.${key}`, Object.keys(props), field));
    } else if (isPlainObject(field)) {
      unknownKeys(props[key]!, field, prefix === '' ? key : `${prefix}.${key}`, out);
    }
  }
}

/** The declared fields of each object codec, computed once per codec. */
const propsCache = new WeakMap<t.Mixed, t.Props | undefined>();

function propsOf(codec: t.Mixed): t.Props | undefined {
  if (propsCache.has(codec)) return propsCache.get(codec);
  const props = computeProps(codec);
  propsCache.set(codec, props);
  return props;
}

function computeProps(codec: t.Mixed): t.Props | undefined {
  if (codec instanceof t.ExactType) return propsOf(codec.type);
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

function isObjectCodec(codec: t.Mixed): boolean {
  return propsOf(codec) !== undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
        text = Object.prototype.toString.call(value);
      }
      if (text.length > 60) text = `${text.slice(0, 57)}...`;
      return `${text} (${Array.isArray(value) ? 'array' : 'object'})`;
    }
    default:
      return `${String(value)} (${typeof value})`;
  }
}
