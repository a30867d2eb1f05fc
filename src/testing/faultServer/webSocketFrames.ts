import { createHash } from 'crypto';

/**
 * The few pieces of RFC 6455 the fault server needs to speak WebSocket without a dependency: the
 * handshake key, server frames (never masked), and a parser for client frames (always masked).
 * Fragmented messages are reassembled; extensions are never negotiated.
 * @internal
 */

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Opcodes of RFC 6455 §5.2. @internal */
export const opcodes = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** The `Sec-WebSocket-Accept` value for a client's `Sec-WebSocket-Key` (RFC 6455 §4.2.2). @internal */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** One unmasked, final server frame. @internal */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  let header: Buffer;
  if (length < 126) {
    header = Buffer.from([0x80 | opcode, length]);
  } else if (length < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([header, payload]);
}

/** A close frame's payload: the code, then the UTF-8 reason. @internal */
export function closePayload(code: number, reason: string): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return payload;
}

/** A complete message or control frame read from a client. @internal */
export interface ClientFrame {
  readonly opcode: number;
  readonly payload: Buffer;
}

/** The largest frame, and the largest reassembled message, a client may send: 256 MiB. @internal */
export const MAX_MESSAGE_SIZE = 268_435_456;

/** The first buffer of a payload, at most: it doubles from there as bytes arrive. */
const FIRST_CAPACITY = 64 * 1024;

/** A frame whose header is read and whose payload is arriving. */
interface PartialFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly mask: Buffer;
  /** The payload's length, as the header says. */
  readonly length: number;
  /** The payload's bytes so far, in `[0, filled)`: grown by doubling as bytes arrive, never to the length the header claims before they do. */
  payload: Buffer;
  filled: number;
}

/**
 * Reads frames from the bytes a client sends, in whatever pieces TCP delivers them (a slicer in front of
 * the server never splits a message), and returns every complete message or control frame. Linear in
 * the bytes received: a payload is copied into a buffer that doubles as its bytes arrive (each byte
 * copied at most about twice) and unmasked once complete; only a header's few bytes ever wait in a
 * queue. Memory follows the bytes sent (at most twice them, from 64 KiB), never the length a header
 * claims: 14 bytes announcing 256 MiB do not cost 256 MiB. Throws on a protocol error (an unmasked client
 * frame, a frame or message above {@link MAX_MESSAGE_SIZE}), which the server answers by dropping the
 * connection.
 * @internal
 */
export class ClientFrameParser {
  /** Chunks not read yet; the first is read from `offset`. Holds at most one header's bytes of chunks. */
  private readonly queue: Buffer[] = [];
  private offset = 0;
  private queued = 0;
  private frame: PartialFrame | undefined;
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;
  private fragmentOpcode = 0;

  push(chunk: Buffer): ClientFrame[] {
    if (chunk.length > 0) {
      this.queue.push(chunk);
      this.queued += chunk.length;
    }
    const frames: ClientFrame[] = [];
    for (;;) {
      const frame = this.next();
      if (frame === undefined) return frames;
      frames.push(frame);
    }
  }

  private next(): ClientFrame | undefined {
    for (;;) {
      const frame = this.frame ?? this.readHeader();
      if (frame === undefined) return undefined;
      const payload = this.fill(frame);
      if (payload === undefined) return undefined;
      this.frame = undefined;
      const { fin, opcode } = frame;
      if (opcode >= 0x8) return { opcode, payload };
      if (opcode !== opcodes.continuation) this.fragmentOpcode = opcode;
      if (fin && this.fragments.length === 0) return { opcode: this.fragmentOpcode, payload };
      this.fragmentBytes += payload.length;
      if (this.fragmentBytes > MAX_MESSAGE_SIZE) throw new Error('WebSocket: message too large');
      this.fragments.push(payload);
      if (!fin) continue;
      const message = { opcode: this.fragmentOpcode, payload: Buffer.concat(this.fragments) };
      this.fragments = [];
      this.fragmentBytes = 0;
      return message;
    }
  }

  /** Reads a frame header once all its bytes are here. */
  private readHeader(): PartialFrame | undefined {
    if (this.queued < 2) return undefined;
    const start = this.peek(2);
    if ((start[1]! & 0x80) === 0) throw new Error('WebSocket: client frames must be masked');
    const short = start[1]! & 0x7f;
    const size = (short === 126 ? 4 : short === 127 ? 10 : 2) + 4;
    if (this.queued < size) return undefined;
    const header = this.peek(size);
    this.skip(size);
    const length =
      short === 126 ? header.readUInt16BE(2) : short === 127 ? Number(header.readBigUInt64BE(2)) : short;
    if (length > MAX_MESSAGE_SIZE) throw new Error(`WebSocket: frame of ${length} bytes is too large`);
    this.frame = {
      fin: (start[0]! & 0x80) !== 0,
      opcode: start[0]! & 0x0f,
      mask: header.subarray(size - 4),
      length,
      payload: Buffer.allocUnsafe(Math.min(length, FIRST_CAPACITY)),
      filled: 0,
    };
    return this.frame;
  }

  /** Copies queued bytes into `frame`; once it has them all, its payload unmasked, else `undefined`. */
  private fill(frame: PartialFrame): Buffer | undefined {
    const { mask, length } = frame;
    while (frame.filled < length && this.queued > 0) {
      const chunk = this.queue[0]!;
      const n = Math.min(chunk.length - this.offset, length - frame.filled);
      if (frame.filled + n > frame.payload.length) {
        const grown = Buffer.allocUnsafe(
          Math.min(length, Math.max(frame.filled + n, 2 * frame.payload.length)),
        );
        frame.payload.copy(grown, 0, 0, frame.filled);
        frame.payload = grown;
      }
      chunk.copy(frame.payload, frame.filled, this.offset, this.offset + n);
      frame.filled += n;
      this.skip(n);
    }
    if (frame.filled < length) return undefined;
    const { payload } = frame;
    for (let i = 0; i < length; i++) payload[i] = payload[i]! ^ mask[i & 3]!;
    return payload;
  }

  /** A copy of the first `n` queued bytes (`n` is at most a header's 14). */
  private peek(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    for (let c = 0, from = this.offset; at < n; c++, from = 0) {
      const chunk = this.queue[c]!;
      const take = Math.min(chunk.length - from, n - at);
      chunk.copy(out, at, from, from + take);
      at += take;
    }
    return out;
  }

  /** Drops the first `n` queued bytes. */
  private skip(n: number): void {
    this.queued -= n;
    let left = n;
    while (left > 0) {
      const chunk = this.queue[0]!;
      const rest = chunk.length - this.offset;
      if (left < rest) {
        this.offset += left;
        return;
      }
      left -= rest;
      this.queue.shift();
      this.offset = 0;
    }
  }
}
