import * as t from 'io-ts';
import type { FaultKind } from '../errors/InjectedFaultError';
import * as c from '../internal/codecs';

/** Where a fault decision is taken: the call, and for a per-value injector the value. */
export interface FaultPoint {
  /** 0-based index of the call (subscription) of the operator instance. */
  readonly call: number;
  /** 0-based index of the value among all values the operator instance has seen; `undefined` per call. */
  readonly value: number | undefined;
}

/** What `injectFaults`'s `when` may be. */
export type FaultWhen = number | ReadonlyArray<number> | string | ((point: FaultPoint) => boolean);

/**
 * The decoded form of `when`: a rate, a set of indices, a script (one fault kind or `null` per index)
 * or a predicate.
 * @internal
 */
export type FaultTrigger =
  | { readonly type: 'rate'; readonly rate: number }
  | { readonly type: 'indices'; readonly indices: ReadonlySet<number> }
  | { readonly type: 'script'; readonly script: ReadonlyArray<FaultKind | null> }
  | { readonly type: 'predicate'; readonly predicate: (point: FaultPoint) => boolean };

/**
 * The characters of a fault script, one per call (or value). Spaces are ignored, so scripts can be
 * aligned under marble diagrams.
 */
const SCRIPT: Readonly<Record<string, FaultKind | null>> = {
  '-': null,
  '#': 'error',
  '~': 'hang',
  s: 'latency',
  '|': 'empty',
  v: 'value',
};

/** Parses a fault script such as `'-#-~-s'` into one fault kind (or `null`: no fault) per index. @internal */
export function parseFaultScript(script: string): Array<FaultKind | null> {
  const kinds: Array<FaultKind | null> = [];
  for (const char of script) {
    if (char === ' ') continue;
    const kind = SCRIPT[char];
    if (kind === undefined) throw new Error(`unknown fault script character ${JSON.stringify(char)}`);
    kinds.push(kind);
  }
  return kinds;
}

const isScript = (u: unknown): u is string =>
  typeof u === 'string' && [...u].every((char) => char === ' ' || Object.hasOwn(SCRIPT, char));
const isIndices = (u: unknown): u is number[] =>
  Array.isArray(u) && u.every((i) => typeof i === 'number' && Number.isSafeInteger(i) && i >= 0);

const script = new t.Type<string, string, unknown>(
  "a fault script (one character per call or value: '-' none, '#' error, '~' hang, 's' latency, '|' empty, 'v' value; spaces ignored)",
  isScript,
  (u, ctx) => (isScript(u) ? t.success(u) : t.failure(u, ctx)),
  t.identity,
);
const indices = new t.Type<number[], number[], unknown>(
  'an array of non-negative integer indices',
  isIndices,
  (u, ctx) => (isIndices(u) ? t.success(u) : t.failure(u, ctx)),
  t.identity,
);

/**
 * The codec of `when`. A value of the wrong kind is reported against the member its type points to
 * (a string against the script, an array against the indices, a number against the rate), so the
 * message says what exactly is wrong with it.
 * @internal
 */
export const faultWhen = new t.Type<FaultWhen, FaultWhen, unknown>(
  'a rate in [0, 1], an array of indices, a fault script or a function',
  (u): u is FaultWhen => c.probability.is(u) || indices.is(u) || script.is(u) || c.fn.is(u),
  (u, ctx) => {
    const member =
      typeof u === 'number'
        ? c.probability
        : typeof u === 'string'
          ? script
          : Array.isArray(u)
            ? indices
            : typeof u === 'function'
              ? c.fn
              : undefined;
    if (member === undefined) return t.failure(u, ctx);
    const last = ctx[ctx.length - 1]!;
    return member.validate(u, [...ctx.slice(0, -1), { ...last, type: member }]) as t.Validation<FaultWhen>;
  },
  t.identity,
);

/** Decodes a valid `when`. @internal */
export function toFaultTrigger(when: FaultWhen): FaultTrigger {
  if (typeof when === 'number') return { type: 'rate', rate: when };
  if (typeof when === 'string') return { type: 'script', script: parseFaultScript(when) };
  if (typeof when === 'function') return { type: 'predicate', predicate: when };
  return { type: 'indices', indices: new Set(when) };
}

/** True when the trigger can never fire, so the operator can be `identity`. @internal */
export function neverFires(trigger: FaultTrigger): boolean {
  switch (trigger.type) {
    case 'rate':
      return trigger.rate === 0;
    case 'indices':
      return trigger.indices.size === 0;
    case 'script':
      return trigger.script.every((kind) => kind === null);
    case 'predicate':
      return false;
  }
}
