/**
 * The Lua script of {@link redisRateLimitStore}: one GCRA decision (or one penalty) per call, atomically,
 * on the Redis server's own clock (`TIME`), touching one key (so it can never fail with `CROSSSLOT`) in
 * O(1) (so it never holds the server). DESIGN 2.9, with the same arithmetic as
 * {@link MemoryRateLimitStore}: times in units of `1 / limit` µs, so that `T = interval / limit` is the
 * number `interval * 1000` and sums of emission intervals stay exact.
 *
 * `KEYS[1]` holds the string `"e r l"`: `e` the server time of the last write (µs), `r` the key's `tat`
 * minus `e` (units of `1 / l` µs), `l` the limit it was written with (a process running another limit
 * rescales it). Stored relative to the last write, the numbers stay small whatever the epoch. The key
 * expires (`PX`) when its `tat` passes: from then on it holds nothing a decision needs.
 *
 * `ARGV`: `op` (`a`: acquire, `p`: penalize), `limit`, `interval` (ms), `burst`, `maxWait` (ms), then
 * `cost` (acquire) or `ms` (penalize). Returns `{answer, now}`: the answer in ms, as a string (`0`
 * admitted, `w > 0` reserved, `-r` refused; `0` for a penalty), and the server time used, in µs.
 * Numbers cross to and from Lua as strings written with `%.17g`, which round-trips every double (Lua's
 * own conversion keeps 14 digits, too few for a time in µs).
 * @internal
 */
export const GCRA_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local function fmt(x) return string.format('%.17g', x) end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local limit = tonumber(ARGV[2])
local emission = tonumber(ARGV[3]) * 1000
local burst = tonumber(ARGV[4])
local perMs = limit * 1000
local tat = 0
local state = redis.call('GET', KEYS[1])
if state then
  local e, r, l = string.match(state, '^(%S+) (%S+) (%S+)$')
  e, r, l = tonumber(e), tonumber(r), tonumber(l)
  if e and r and l and l > 0 then
    if l ~= limit then r = r * limit / l end
    tat = r - (now - e) * limit
    if tat < 0 then tat = 0 end
  end
end
local nxt
local answer = 0
if ARGV[1] == 'p' then
  nxt = tonumber(ARGV[6]) * perMs + emission * (burst - 1)
  if nxt <= tat then return {'0', fmt(now)} end
else
  nxt = tat + emission * tonumber(ARGV[6])
  local wait = nxt - emission * burst
  if wait > tonumber(ARGV[5]) * perMs then return {fmt(-wait / perMs), fmt(now)} end
  if wait > 0 then answer = wait / perMs end
end
redis.call('SET', KEYS[1], fmt(now) .. ' ' .. fmt(nxt) .. ' ' .. ARGV[2], 'PX', fmt(math.ceil(nxt / perMs)))
return {fmt(answer), fmt(now)}
`;

/** `GCRA_SCRIPT`'s `op` for a decision. @internal */
export const ACQUIRE = 'a';
/** `GCRA_SCRIPT`'s `op` for a penalty. @internal */
export const PENALIZE = 'p';
