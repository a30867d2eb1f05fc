/**
 * Reads the query parameters of a fault-server route. A bad value is a mistake in the test, so it is
 * answered with `400` and a message naming the parameter, what it must be and what it got, rather than
 * being replaced by a default.
 * @internal
 */
export class RouteParams {
  constructor(
    private readonly route: string,
    private readonly query: URLSearchParams,
  ) {}

  /** A number parameter: `integer` and `min` constrain it; `Infinity` is accepted only when `infinite`. */
  number(
    name: string,
    fallback: number,
    { integer = false, min = 0, max = Infinity, infinite = false } = {},
  ): number {
    const raw = this.query.get(name);
    if (raw === null) return fallback;
    const value = raw === 'Infinity' ? Infinity : raw.trim() === '' ? NaN : Number(raw);
    const ok =
      (value === Infinity && infinite) ||
      (Number.isFinite(value) && (!integer || Number.isInteger(value)) && value >= min && value <= max);
    if (!ok) {
      const kind = integer ? 'an integer' : 'a number';
      const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
      throw new RouteParamError(
        `${this.route}: \`${name}\` must be ${kind} ${range}${infinite ? ' or Infinity' : ''}, got ${JSON.stringify(raw)}`,
      );
    }
    return value;
  }

  /** A parameter that must be one of `allowed`. */
  oneOf<L extends string>(name: string, allowed: ReadonlyArray<L>, fallback: L): L {
    const raw = this.query.get(name);
    if (raw === null) return fallback;
    if (!(allowed as ReadonlyArray<string>).includes(raw)) {
      throw new RouteParamError(
        `${this.route}: \`${name}\` must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(raw)}`,
      );
    }
    return raw as L;
  }

  /** A comma-separated list whose items must be in `allowed`. */
  listOf<L extends string>(name: string, allowed: ReadonlyArray<L>, fallback: ReadonlyArray<L>): L[] {
    const raw = this.query.get(name);
    if (raw === null) return [...fallback];
    const items = raw.split(',').map((s) => s.trim());
    const bad = items.filter((item) => !(allowed as ReadonlyArray<string>).includes(item));
    if (items.length === 0 || bad.length > 0) {
      throw new RouteParamError(
        `${this.route}: \`${name}\` must be a comma-separated list of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(raw)}`,
      );
    }
    return items as L[];
  }

  string(name: string, fallback: string): string {
    return this.query.get(name) ?? fallback;
  }
}

/** A bad query parameter: the server answers `400` with this message. @internal */
export class RouteParamError extends Error {
  override readonly name = 'RouteParamError';
}
