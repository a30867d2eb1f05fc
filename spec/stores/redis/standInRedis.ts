import type { SchedulerLike } from 'rxjs';
import { MemoryRateLimitStore } from '../../../src/limiter/MemoryRateLimitStore';
import type { RateLimitRule } from '../../../src/limiter/RateLimitStore';
import { PENALIZE } from '../../../src/stores/redis/gcraScript';

/** How the stand-in answers a command sent at scheduler time `now`: after some frames, or never. */
export type Behaviour = (now: number) => number | 'hang' | { readonly after: number; readonly error: Error };

type Settle = (value: unknown) => void;

/** One command the stand-in received. */
export interface SentCommand {
  readonly at: number;
  readonly args: ReadonlyArray<string>;
}

/**
 * A stand-in for an ioredis client, for the virtual-time specs of the store's own logic (timeouts,
 * fallback, probes, readiness): it runs the GCRA of the memory store on the scheduler's clock and
 * answers after the frames `behaviour` says, or never. The Lua script itself is checked on a real
 * redis-server by the other specs. Its replies are thenables that settle inside the scheduler's flush,
 * so virtual time needs no microtask.
 */
export class StandInRedis {
  status = 'ready';
  connects = 0;
  readonly defined: Array<{ name: string; numberOfKeys: number; lua: string }> = [];
  readonly sent: SentCommand[] = [];
  private readonly memory = new MemoryRateLimitStore();

  constructor(
    private readonly scheduler: SchedulerLike,
    public behaviour: Behaviour = () => 1,
  ) {}

  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void {
    this.defined.push({ name, ...definition });
    const rule = ruleOf(definition.lua);
    (this as unknown as Record<string, unknown>)[name] = (...args: string[]) => this.command(rule, args);
  }

  connect(): Promise<void> {
    this.connects++;
    this.status = 'connecting';
    return Promise.resolve();
  }

  /** The reply: only `then(onValue, onError)`, which is all the store uses of it. */
  private command(rule: RateLimitRule, args: string[]): { then(onValue: Settle, onError: Settle): void } {
    const now = this.scheduler.now();
    this.sent.push({ at: now, args });
    const behaviour = this.behaviour(now);
    return {
      then: (onValue, onError) => {
        if (behaviour === 'hang') return;
        if (typeof behaviour === 'number')
          this.scheduler.schedule(() => onValue(this.run(rule, args)), behaviour);
        else this.scheduler.schedule(() => onError(behaviour.error), behaviour.after);
      },
    };
  }

  /** GCRA as the script runs it, at the time the answer leaves. */
  private run(rule: RateLimitRule, [key, amount, flags]: string[]): number | string {
    const now = this.scheduler.now();
    if (flags === PENALIZE) {
      this.memory.penalize(key!, Number(amount), rule, now);
      return 0;
    }
    const answer = this.memory.acquire(key!, Number(amount), rule, now);
    return answer === 0 ? 0 : String(answer);
  }
}

/** The rule a script was written for, read back from the numbers at its top (see gcraScript). */
function ruleOf(lua: string): RateLimitRule {
  const number = (name: string): number =>
    Number(new RegExp(`^local ${name} = (\\S+)$`, 'm').exec(lua)![1]!.replace('math.huge', 'Infinity'));
  const limit = number('limit');
  const emission = number('emission');
  return {
    name: 'stand-in',
    limit,
    interval: emission / 1000,
    burst: number('burstOffset') / emission,
    maxWait: number('maxWait') / 1000 / limit,
  };
}
