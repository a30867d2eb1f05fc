import type { RateLimitRule } from '../../limiter/RateLimitStore';

/**
 * The Lua script of {@link redisRateLimitStore} for one limiter's rule: one GCRA decision (or one
 * penalty) per call, atomically, on the Redis server's own clock (`TIME`), touching one key (so it can
 * never fail with `CROSSSLOT`) in O(1) (so it never holds the server). DESIGN 2.9, with the same
 * arithmetic as {@link MemoryRateLimitStore}: times in units of `1 / limit` µs, so that
 * `T = interval / limit` is the number `interval * 1000` and sums of emission intervals stay exact.
 *
 * The rule is written into the script as numbers (`limit`, `T`, `T * burst` and `maxWait` in units,
 * computed with the same operations as the memory store's), so Redis parses it once, when it loads the
 * script, not at every decision, and a decision sends only its amount. Each rule is its own script (its
 * own SHA); a process has a few, one per limiter.
 *
 * `KEYS[1]` holds four doubles (`struct.pack('<dddd')`, 32 bytes): `e` the server time of the last write
 * (µs), `r` the key's `tat` minus `e` (units of `1 / l` µs), `l` the limit it was written with (a
 * process running another limit rescales it), and `x` the server time (µs) the key lives until at least.
 * Stored relative to the last write, the numbers stay small whatever the epoch; stored as doubles, they
 * cross no string conversion (Lua's keeps 14 digits, too few for a time in µs).
 *
 * The key expires (`PX`) about a second after its `tat` (from then on it holds nothing a decision needs):
 * a write that moves `tat` past `x` (less 1 ms) sets `x` to `tat` plus a second and the key's `PX` to
 * reach it; any other write keeps the key's expiry (`SETRANGE` over the whole value), about 0.7 µs less
 * server time than a new `PX`. So a key called more often than once a second is rewritten in place, not
 * expired and created again at each call. A refusal writes nothing. Redis 5 or later (scripts
 * replicated as effects, so `TIME` before a write is allowed).
 *
 * `ARGV`: the amount (`cost`, or the ms of a penalty), and optional flags: `p` a penalty, `t` report the
 * time. Replies with the answer in ms: the integer `0` when admitted (the common case, the cheapest reply
 * to send and to read) or for a penalty, else a string written with `%.17g`, which round-trips every
 * double (`w > 0` reserved, `-r` refused). With `t`, replies `{answer, seconds, microseconds}` instead,
 * the answer always a string and the server's `TIME` it decided at (the specs compare decisions with the
 * memory store's on that time).
 * @internal
 */
export function gcraScript(rule: RateLimitRule): string {
  const emission = rule.interval * 1000;
  return `local limit = ${lua(rule.limit)}
local emission = ${lua(emission)}
local burstOffset = ${lua(emission * rule.burst)}
local maxWait = ${lua(rule.maxWait * 1000 * rule.limit)}
local time = redis.call('TIME')
local now = time[1] * 1000000 + time[2]
local amount = ARGV[1]
if amount == '1' then amount = 1 else amount = tonumber(amount) end
local flags = ARGV[2]
local tat = 0
local expiry = -1
local state = redis.call('GET', KEYS[1])
if state and #state == 32 then
  local e, r, l, x = struct.unpack('<dddd', state)
  if l ~= limit then r = r * limit / l end
  tat = r - (now - e) * limit
  if tat < 0 then tat = 0 end
  expiry = x
end
local nxt
local answer = 0
if flags == 'p' or flags == 'pt' then
  nxt = amount * limit * 1000 + burstOffset - emission
else
  nxt = tat + emission * amount
  local wait = nxt - burstOffset
  if wait > 0 then
    if wait > maxWait then
      answer = string.format('%.17g', -wait / (limit * 1000))
      nxt = tat
    else
      answer = string.format('%.17g', wait / (limit * 1000))
    end
  end
end
if nxt > tat then
  local due = now + nxt / limit
  if due + 1000 <= expiry then
    redis.call('SETRANGE', KEYS[1], 0, struct.pack('<dddd', now, nxt, limit, expiry))
  else
    expiry = due + 1000000
    redis.call('SET', KEYS[1], struct.pack('<dddd', now, nxt, limit, expiry), 'PX', math.ceil((expiry - now) / 1000) + 1)
  end
end
if flags == 't' or flags == 'pt' then return {tostring(answer), time[1], time[2]} end
return answer
`;
}

/**
 * A number as a Lua numeral that reads back as the same double: JavaScript's shortest round-trip form
 * (`1e+21`, `5e-7` included), which Lua's `strtod` parses exactly; `math.huge` for a product past the
 * largest double (a `maxWait` of 1e300 ms, say).
 */
function lua(value: number): string {
  return value === Infinity ? 'math.huge' : String(value);
}

/** The script's flag (second argument) for a penalty. @internal */
export const PENALIZE = 'p';
/** The script's flag (second argument) that asks for the server's time in the reply. @internal */
export const REPORT_TIME = 't';
