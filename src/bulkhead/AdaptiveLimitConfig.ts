import * as t from 'io-ts';
import type { ConfigIssue } from '../errors/InvalidConfigError';
import * as c from '../internal/codecs';
import { configIssue } from '../internal/decodeConfig';
import { AimdLimit } from './AimdLimit';
import { Gradient2Limit } from './Gradient2Limit';
import type { LimitAlgorithm } from './LimitAlgorithm';
import { VegasLimit } from './VegasLimit';
import { WindowedLimit } from './WindowedLimit';

/** Options every algorithm of an adaptive {@link Bulkhead} takes. */
interface AdaptiveLimitBase {
  /** The least the limit may fall to. A positive integer, at most `max`. */
  readonly min?: number | undefined;
  /** The most the limit may grow to. A positive integer. */
  readonly max?: number | undefined;
  /**
   * ms of one sampling window (Netflix's `WindowedLimit`): the algorithm then sees one sample per window
   * (the average latency, the most calls in flight, whether any call dropped) instead of one per call,
   * which keeps the limit from overshooting while congestion signals are on their way back. `0`: one
   * update per call. A finite non-negative number.
   */
  readonly window?: number | undefined;
  /** Samples a window needs to count (Netflix's `windowSize`); fewer, and it is dropped. @default 10 */
  readonly windowSamples?: number | undefined;
}

/**
 * Loss-based: additive increase, multiplicative decrease (Netflix `AIMDLimit`, DESIGN 2.11). After a
 * drop (a `TimeoutExceededError`, or an `HttpStatusError` 429 or 503) the limit becomes
 * `max(min, floor(limit * backoffRatio))`; after a success while at least `limit / 2` calls ran
 * (counted when it took its slot, itself included), `min(max, limit + 1)`. Netflix recommends it for
 * clients.
 */
export interface AimdLimitConfig extends AdaptiveLimitBase {
  readonly algorithm: 'aimd';
  /** @default 1 */
  readonly min?: number | undefined;
  /** @default 200 */
  readonly max?: number | undefined;
  /** @default 0 (one update per call, as DESIGN 2.11 pins it) */
  readonly window?: number | undefined;
  /** The factor a drop multiplies the limit by, in [0.5, 1) (Netflix's `backoffRatio`). @default 0.9 */
  readonly backoffRatio?: number | undefined;
  /**
   * ms: a success slower than this counts as a drop (Netflix's `timeout`, 5 s there): how a loss-based
   * limit finds a dependency that slows down without failing. Positive; `Infinity` turns it off.
   * @default Infinity
   */
  readonly slowCallDuration?: number | undefined;
}

/**
 * Delay-based: follows the ratio of a long-term average latency to the latest one (Netflix
 * `Gradient2Limit`): `limit = limit * gradient + queueSize`, smoothed, with
 * `gradient = clamp(rttTolerance * longRtt / rtt, 0.5, 1)`. A drop counts as a gradient of 0.5.
 */
export interface Gradient2LimitConfig extends AdaptiveLimitBase {
  readonly algorithm: 'gradient2';
  /** @default 20 (Netflix's `minLimit`) */
  readonly min?: number | undefined;
  /** @default 200 (Netflix's `maxConcurrency`) */
  readonly max?: number | undefined;
  /** @default 1000 */
  readonly window?: number | undefined;
  /** How much of each new estimate is taken, in (0, 1]. @default 0.2 */
  readonly smoothing?: number | undefined;
  /** Room the limit keeps above what latency allows: a non-negative integer. @default 4 */
  readonly queueSize?: number | undefined;
  /** Samples (windows, when windowed) the long-term latency averages over. @default 600 */
  readonly longWindow?: number | undefined;
  /** How much slower than the long-term latency is still no queue: a finite number >= 1. @default 1.5 */
  readonly rttTolerance?: number | undefined;
}

/**
 * Delay-based: TCP Vegas (Netflix `VegasLimit`). Estimates the dependency's queue as
 * `ceil(limit * (1 - rttNoLoad / rtt))` from the least latency seen, and grows by `beta` while there is
 * none, by `log10(limit)` while it is under `alpha`, and shrinks by `log10(limit)` above `beta` or after
 * a drop. Netflix recommends it for servers.
 */
export interface VegasLimitConfig extends AdaptiveLimitBase {
  readonly algorithm: 'vegas';
  /** @default 1 */
  readonly min?: number | undefined;
  /** @default 1000 (Netflix's `maxConcurrency`) */
  readonly max?: number | undefined;
  /** @default 1000 */
  readonly window?: number | undefined;
  /** How much of each new limit is taken, in (0, 1]. @default 1 */
  readonly smoothing?: number | undefined;
  /** Queue below which the limit grows by `log10(limit)`: a positive integer. @default 3 * log10(limit) */
  readonly alpha?: number | undefined;
  /** Queue above which the limit shrinks, and the growth with no queue. @default 6 * log10(limit) */
  readonly beta?: number | undefined;
  /** The baseline latency is re-probed every `jitter * probeMultiplier * limit` samples. @default 30 */
  readonly probeMultiplier?: number | undefined;
  /** Source of chance for the probe's jitter, returning numbers in [0, 1). @default Math.random */
  readonly random?: (() => number) | undefined;
}

/** How an adaptive {@link Bulkhead} finds its limit: one of Netflix concurrency-limits' algorithms. */
export type AdaptiveLimitConfig = AimdLimitConfig | Gradient2LimitConfig | VegasLimitConfig;

function numberIn(name: string, ok: (n: number) => boolean): t.Type<number, number, unknown> {
  const is = (u: unknown): u is number => typeof u === 'number' && ok(u);
  return new t.Type<number, number, unknown>(
    name,
    is,
    (u, ctx) => (is(u) ? t.success(u) : t.failure(u, ctx)),
    t.identity,
  );
}

const backoffRatio = numberIn('a number in [0.5, 1)', (n) => n >= 0.5 && n < 1);

const base = {
  min: c.positiveInt,
  max: c.positiveInt,
  window: c.finiteNonNegativeMs,
  windowSamples: c.positiveInt,
};

/** The `adaptive` option of a `Bulkhead`, told apart by `algorithm`. @internal */
export const adaptiveCodec = c.tagged('an adaptive limit', 'algorithm', {
  aimd: c.config(
    'an AIMD limit',
    { algorithm: c.oneOf(['aimd']) },
    { ...base, backoffRatio, slowCallDuration: c.positiveMs },
  ),
  gradient2: c.config(
    'a Gradient2 limit',
    { algorithm: c.oneOf(['gradient2']) },
    {
      ...base,
      smoothing: c.rate,
      queueSize: c.nonNegativeInt,
      longWindow: c.positiveInt,
      rttTolerance: c.atLeastOne,
    },
  ),
  vegas: c.config(
    'a Vegas limit',
    { algorithm: c.oneOf(['vegas']) },
    {
      ...base,
      smoothing: c.rate,
      alpha: c.positiveInt,
      beta: c.positiveInt,
      probeMultiplier: c.positiveInt,
      random: c.fn,
    },
  ),
});

/** Netflix's defaults of `min`, `max` and `window`, per algorithm (AIMD's `min` is DESIGN 2.11's 1). */
const DEFAULTS = {
  aimd: { min: 1, max: 200, window: 0 },
  gradient2: { min: 20, max: 200, window: 1000 },
  vegas: { min: 1, max: 1000, window: 1000 },
} as const;

/** `min` and `max` of `config`, defaults applied. @internal */
export function boundsOf(config: AdaptiveLimitConfig): { min: number; max: number } {
  const defaults = DEFAULTS[config.algorithm];
  return { min: config.min ?? defaults.min, max: config.max ?? defaults.max };
}

/**
 * What the codec cannot check field by field: `min <= max`, and an initial limit (`maxConcurrent`)
 * within them. @internal
 */
export function adaptiveIssues(config: AdaptiveLimitConfig, maxConcurrent: number): ConfigIssue[] {
  const { min, max } = boundsOf(config);
  if (min > max) {
    const note = config.max === undefined ? ` by default for '${config.algorithm}'` : '';
    return [configIssue('adaptive.min', `at most \`adaptive.max\` (${max}${note})`, min)];
  }
  if (maxConcurrent < min || maxConcurrent > max) {
    const defaulted = [
      ...(config.min === undefined ? [`min ${min}`] : []),
      ...(config.max === undefined ? [`max ${max}`] : []),
    ];
    const note =
      defaulted.length > 0 ? ` (${defaulted.join(', ')} by default for '${config.algorithm}')` : '';
    const expected = `an initial limit within [\`adaptive.min\`, \`adaptive.max\`] = [${min}, ${max}]${note}`;
    return [configIssue('maxConcurrent', expected, maxConcurrent)];
  }
  return [];
}

/** The algorithm `config` names, starting at `initial`, windowed when it asks for a window. @internal */
export function createLimit(config: AdaptiveLimitConfig, initial: number): LimitAlgorithm {
  const { min, max } = boundsOf(config);
  let limit: LimitAlgorithm;
  switch (config.algorithm) {
    case 'aimd':
      limit = new AimdLimit({
        initial,
        min,
        max,
        backoffRatio: config.backoffRatio ?? 0.9,
        slowCallDuration: config.slowCallDuration ?? Infinity,
      });
      break;
    case 'gradient2':
      limit = new Gradient2Limit({
        initial,
        min,
        max,
        smoothing: config.smoothing ?? 0.2,
        queueSize: config.queueSize ?? 4,
        longWindow: config.longWindow ?? 600,
        rttTolerance: config.rttTolerance ?? 1.5,
      });
      break;
    case 'vegas':
      limit = new VegasLimit({
        initial,
        min,
        max,
        smoothing: config.smoothing ?? 1,
        alpha: config.alpha,
        beta: config.beta,
        probeMultiplier: config.probeMultiplier ?? 30,
        random: config.random ?? Math.random,
      });
      break;
  }
  const window = config.window ?? DEFAULTS[config.algorithm].window;
  return window > 0 ? new WindowedLimit(limit, window, config.windowSamples ?? 10) : limit;
}
