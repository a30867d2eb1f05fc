/**
 * One of the processes of the shared-limit spec (redisSharedLimit.spec.ts): a limiter of 200 per second
 * (burst 10) on a Redis store, named like its siblings' so they share one limit. On 'go' it offers a
 * call every 4 ms (250 per second) for `duration` ms, then reports what it was told and exits.
 * Arguments: port, duration (ms).
 */
import Redis from 'ioredis';
import { of } from 'rxjs';
import { isRateLimitedError } from '../../src/errors/RateLimitedError';
import { RateLimiter } from '../../src/limiter/RateLimiter';
import { rateLimit } from '../../src/operators/rateLimit';
import { redisRateLimitStore } from '../../src/stores/redis/redisRateLimitStore';

const [port, duration] = process.argv.slice(2).map(Number) as [number, number];
const client = new Redis(port, '127.0.0.1');
client.on('error', () => undefined);
// This spec measures the sharing, not the fallback (the store's own spec drives that): a decision timeout
// of 1 s instead of the default 100 ms keeps a loaded machine's slow round trip from falling back locally.
const store = redisRateLimitStore({ client, timeout: 1000 });
const limiter = new RateLimiter({ name: 'shared', limit: 200, interval: 1000, burst: 10, store });
const send = (message: object): Promise<void> =>
  new Promise((resolve, reject) =>
    process.send!(message, (err: Error | null) => (err ? reject(err) : resolve())),
  );

client.once('ready', () => void send({ type: 'ready' }));
process.once('message', () => {
  const told = { admitted: 0, refused: 0, failed: 0 };
  const end = performance.now() + duration;
  const tick = setInterval(() => {
    if (performance.now() >= end) {
      clearInterval(tick);
      void finish();
      return;
    }
    of(1)
      .pipe(rateLimit(limiter))
      .subscribe({
        next: () => told.admitted++,
        error: (e: unknown) => (isRateLimitedError(e) ? told.refused++ : told.failed++),
      });
  }, 4);
  const finish = async (): Promise<void> => {
    while (limiter.metrics().deciding > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await send({ type: 'done', ...told, store: store.metrics() });
    client.disconnect();
    process.exit(0);
  };
});
