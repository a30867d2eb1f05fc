import * as t from 'io-ts';
import {
  config,
  nonNegativeInt,
  nonNegativeMs,
  oneOf,
  positiveInt,
  positiveMs,
  probability,
  string,
  tagged,
} from '../../internal/codecs';
import { DelayQueue, END, type Sink } from './delayQueue';

/** Fields every toxic has (toxiproxy's). */
export interface ToxicCommon {
  /** A name to tell toxics apart in logs. @default `<type>_<stream>` */
  readonly name?: string | undefined;
  /** Which direction it acts on: `downstream` (upstream to client) or `upstream` (client to upstream). @default 'downstream' */
  readonly stream?: 'upstream' | 'downstream' | undefined;
  /** Probability in [0, 1] that it applies to a connection, drawn once per connection from the seeded PRNG. @default 1 */
  readonly toxicity?: number | undefined;
}

/** Holds each chunk `latency ± jitter` ms (uniform draw) after it arrives; order is kept. */
export interface LatencyToxic extends ToxicCommon {
  readonly type: 'latency';
  /** Added delay per chunk, in ms. */
  readonly latency: number;
  /** Spread of the delay, in ms: each chunk waits `latency + u * jitter` with `u` uniform in [-1, 1). @default 0 */
  readonly jitter?: number | undefined;
}

/** Lets data through at `rate` KB/s (1 KB = 1024 bytes), in pieces of at most 100 ms worth. */
export interface BandwidthToxic extends ToxicCommon {
  readonly type: 'bandwidth';
  /** KB per second. */
  readonly rate: number;
}

/** Delays the end of the stream (the FIN) by `delay` ms once the data has gone through. */
export interface SlowCloseToxic extends ToxicCommon {
  readonly type: 'slow_close';
  /** Delay of the close, in ms. */
  readonly delay: number;
}

/** Blackhole: drops all data; closes the connection after `timeout` ms, or never when `timeout` is 0. */
export interface TimeoutToxic extends ToxicCommon {
  readonly type: 'timeout';
  /** ms from the connection's start (or the toxic's arrival) to the close; 0 keeps it open and silent. */
  readonly timeout: number;
}

/** On the first data chunk, drops it and all after, and `timeout` ms later resets the connection (RST: `ECONNRESET`). */
export interface ResetPeerToxic extends ToxicCommon {
  readonly type: 'reset_peer';
  /** ms from the first data chunk to the reset. @default 0 */
  readonly timeout?: number | undefined;
}

/** Splits data into pieces of `average_size ± size_variation` bytes, `delay` microseconds apart. */
export interface SlicerToxic extends ToxicCommon {
  readonly type: 'slicer';
  /** Mean size of a piece, in bytes. */
  readonly average_size: number;
  /** Spread of a piece's size, in bytes (uniform draw). @default 0 */
  readonly size_variation?: number | undefined;
  /** Pause between pieces, in microseconds (toxiproxy's unit for this toxic). @default 0 */
  readonly delay?: number | undefined;
}

/** Forwards at most `bytes` bytes in its direction, then closes the connection. */
export interface LimitDataToxic extends ToxicCommon {
  readonly type: 'limit_data';
  /** Bytes let through before the close. */
  readonly bytes: number;
}

/** A toxic, in toxiproxy's vocabulary (type names and attribute names are toxiproxy's). */
export type Toxic =
  | LatencyToxic
  | BandwidthToxic
  | SlowCloseToxic
  | TimeoutToxic
  | ResetPeerToxic
  | SlicerToxic
  | LimitDataToxic;

const common = { name: string, stream: oneOf(['upstream', 'downstream']), toxicity: probability };

/** @internal */
export const toxicCodec = tagged('a toxic', 'type', {
  latency: config(
    'LatencyToxic',
    { type: oneOf(['latency']), latency: nonNegativeMs },
    { ...common, jitter: nonNegativeMs },
  ),
  bandwidth: config('BandwidthToxic', { type: oneOf(['bandwidth']), rate: positiveMs }, common),
  slow_close: config('SlowCloseToxic', { type: oneOf(['slow_close']), delay: nonNegativeMs }, common),
  timeout: config('TimeoutToxic', { type: oneOf(['timeout']), timeout: nonNegativeMs }, common),
  reset_peer: config(
    'ResetPeerToxic',
    { type: oneOf(['reset_peer']) },
    { ...common, timeout: nonNegativeMs },
  ),
  slicer: config(
    'SlicerToxic',
    { type: oneOf(['slicer']), average_size: positiveInt },
    { ...common, size_variation: nonNegativeInt, delay: nonNegativeMs },
  ),
  limit_data: config('LimitDataToxic', { type: oneOf(['limit_data']), bytes: nonNegativeInt }, common),
});

/** @internal */
export type DecodedToxic = t.TypeOf<typeof toxicCodec>;

/** What a stage may do to the whole connection. @internal */
export interface LinkControl {
  readonly random: () => number;
  /** A timer that dies with the connection (and with the stage, through the returned cancel). */
  timer(ms: number, fn: () => void): () => void;
  /** RST both sides. */
  reset(): void;
  /** FIN both sides once written data is flushed, then destroy. */
  close(): void;
  /** A stage let held data go: a source paused for it may read again. */
  relieved(): void;
}

/** One toxic acting on one direction of one connection. @internal */
export interface Stage extends Sink {
  /** Bytes it holds now (queued for later release). */
  held(): number;
  /** The toxic is being removed: deliver what it holds and stop its timers. */
  flush(): void;
  /** The connection is gone: drop what it holds and stop its timers. */
  cancel(): void;
}

/** Builds the stage of `toxic` in front of `next`. @internal */
export function createStage(toxic: Toxic, next: Sink, link: LinkControl): Stage {
  const now = DelayQueue.now;
  switch (toxic.type) {
    case 'latency': {
      const queue = new DelayQueue(next, link.relieved);
      const jitter = toxic.jitter ?? 0;
      return {
        push: (chunk) =>
          queue.enqueue(chunk, now() + Math.max(0, toxic.latency + (2 * link.random() - 1) * jitter)),
        end: () => queue.enqueue(END, now()),
        held: () => queue.held,
        flush: () => queue.flush(),
        cancel: () => queue.cancel(),
      };
    }
    case 'bandwidth': {
      const queue = new DelayQueue(next, link.relieved);
      const bytesPerMs = (toxic.rate * 1024) / 1000;
      const piece = Math.max(1, Math.floor(toxic.rate * 102.4));
      return {
        push: (chunk) => {
          let due = Math.max(now(), queue.lastDue);
          for (let offset = 0; offset < chunk.length; offset += piece) {
            const part = chunk.subarray(offset, offset + piece);
            due += part.length / bytesPerMs;
            queue.enqueue(part, due);
          }
        },
        end: () => queue.enqueue(END, now()),
        held: () => queue.held,
        flush: () => queue.flush(),
        cancel: () => queue.cancel(),
      };
    }
    case 'slicer': {
      const queue = new DelayQueue(next, link.relieved);
      const gap = (toxic.delay ?? 0) / 1000;
      const variation = toxic.size_variation ?? 0;
      return {
        push: (chunk) => {
          let due = Math.max(now(), queue.lastDue);
          let offset = 0;
          while (offset < chunk.length) {
            const size = Math.max(1, Math.round(toxic.average_size + (2 * link.random() - 1) * variation));
            queue.enqueue(chunk.subarray(offset, offset + size), due);
            offset += size;
            due += gap;
          }
        },
        end: () => queue.enqueue(END, now()),
        held: () => queue.held,
        flush: () => queue.flush(),
        cancel: () => queue.cancel(),
      };
    }
    case 'slow_close': {
      let cancel: (() => void) | undefined;
      let ended = false;
      return {
        held: () => 0,
        push: (chunk) => next.push(chunk),
        end: () => {
          if (ended) return;
          ended = true;
          cancel = link.timer(toxic.delay, () => {
            cancel = undefined;
            next.end();
          });
        },
        flush: () => {
          if (cancel === undefined) return;
          cancel();
          cancel = undefined;
          next.end();
        },
        cancel: () => cancel?.(),
      };
    }
    case 'timeout': {
      const cancel = toxic.timeout > 0 ? link.timer(toxic.timeout, () => link.close()) : undefined;
      return {
        held: () => 0,
        push: () => undefined,
        end: () => undefined,
        flush: () => cancel?.(),
        cancel: () => cancel?.(),
      };
    }
    case 'reset_peer': {
      // The connection is doomed from its first data chunk: nothing more goes through, and the reset
      // comes `timeout` ms later.
      let cancel: (() => void) | undefined;
      let armed = false;
      return {
        held: () => 0,
        push: () => {
          if (armed) return;
          armed = true;
          const timeout = toxic.timeout ?? 0;
          if (timeout === 0) link.reset();
          else cancel = link.timer(timeout, () => link.reset());
        },
        end: () => {
          if (!armed) next.end();
        },
        flush: () => cancel?.(),
        cancel: () => cancel?.(),
      };
    }
    case 'limit_data': {
      let left = toxic.bytes;
      let closed = false;
      const push = (chunk: Buffer): void => {
        if (closed) return;
        if (chunk.length < left) {
          left -= chunk.length;
          next.push(chunk);
          return;
        }
        closed = true;
        if (left > 0) next.push(chunk.subarray(0, left));
        left = 0;
        link.close();
      };
      return {
        held: () => 0,
        push,
        end: () => {
          if (!closed) next.end();
        },
        flush: () => undefined,
        cancel: () => undefined,
      };
    }
  }
}
