import type { RateLimitRule } from '../../limiter/RateLimitStore';

/**
 * The Lua script of {@link redisRateLimitStore}: one GCRA decision (or one penalty) per call, atomically,
 * on the Redis server's own clock (`TIME`), touching one key (so it can never fail with `CROSSSLOT`) in
 * O(1) (so it never holds the server). DESIGN 2.9, with the same arithmetic as
 * {@link MemoryRateLimitStore}: times in units of `1 / limit` µs, so that `T = interval / limit` is the
 * number `interval * 1000` and sums of emission intervals stay exact.
 *
 * `KEYS[1]` holds three doubles (`struct.pack('<ddd')`, 24 bytes): `e` the server time of the last write
 * (µs), `r` the key's `tat` minus `e` (units of `1 / l` µs), `l` the limit it was written with (a
 * process running another limit rescales it). Stored relative to the last write, the numbers stay small
 * whatever the epoch; stored as doubles, they cross no string conversion (Lua's keeps 14 digits, too few
 * for a time in µs). The key expires (`PX`) when its `tat` passes: from then on it holds nothing a
 * decision needs. Redis 5 or later (scripts replicated as effects, so `TIME` before a write is allowed).
 *
 * `ARGV`: the rule as {@link gcraRuleArgs} gives it (`limit`, then `T`, `T * burst` and `maxWait` in
 * units), the amount (`cost`, or the ms of a penalty), and optional flags: `p` a penalty, `t` report the
 * time. Replies with the answer in ms: the integer `0` when admitted (the common case, the cheapest reply
 * to send and to read) or for a penalty, else a string written with `%.17g`, which round-trips every
 * double (`w > 0` reserved, `-r` refused). With `t`, replies `{answer, seconds, microseconds}` instead,
 * the answer always a string and the server's `TIME` it decided at (the specs compare decisions with the
 * memory store's on that time).
 * @internal
 */
export const GCRA_SCRIPT = `
local time = redis.call('TIME')
local now = time[1] * 1000000 + time[2]
local limit = tonumber(ARGV[1])
local emission = tonumber(ARGV[2])
local perMs = limit * 1000
local flags = ARGV[6]
local penalty = flags == 'p' or flags == 'pt'
local tat = 0
local state = redis.call('GET', KEYS[1])
if state and #state == 24 then
  local e, r, l = struct.unpack('<ddd', state)
  if l ~= limit then r = r * limit / l end
  tat = r - (now - e) * limit
  if tat < 0 then tat = 0 end
end
local nxt
local answer = 0
local refused = false
if penalty then
  nxt = tonumber(ARGV[5]) * perMs + tonumber(ARGV[3]) - emission
else
  nxt = tat + emission * tonumber(ARGV[5])
  local wait = nxt - tonumber(ARGV[3])
  if wait > tonumber(ARGV[4]) then
    refused = true
    answer = string.format('%.17g', -wait / perMs)
  elseif wait > 0 then
    answer = string.format('%.17g', wait / perMs)
  end
end
if not refused and nxt > tat then
  redis.call('SET', KEYS[1], struct.pack('<ddd', now, nxt, limit), 'PX', math.ceil(nxt / perMs))
end
if flags == 't' or flags == 'pt' then return {tostring(answer), time[1], time[2]} end
return answer
`;

/** `GCRA_SCRIPT`'s flag (sixth argument) for a penalty. @internal */
export const PENALIZE = 'p';
/** `GCRA_SCRIPT`'s flag (sixth argument) that asks for the server's time in the reply. @internal */
export const REPORT_TIME = 't';

/**
 * The four arguments of `GCRA_SCRIPT` that carry a limiter's rule, in the script's units (`1 / limit`
 * µs): `limit`, `T = interval * 1000`, `T * burst`, and `maxWait * 1000 * limit`. Computed once per
 * limiter, with the same operations as {@link MemoryRateLimitStore}, so the numbers are the same.
 * @internal
 */
export function gcraRuleArgs(rule: RateLimitRule): [string, string, string, string] {
  const emission = rule.interval * 1000;
  return [
    String(rule.limit),
    String(emission),
    String(emission * rule.burst),
    String(rule.maxWait * 1000 * rule.limit),
  ];
}
