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

/**
 * Accumulates bytes from a client and returns every complete frame they finish, so TCP fragmentation (a
 * slicer in front of the server) never splits a message. Throws on a protocol error (an unmasked client
 * frame), which the server answers by dropping the connection.
 * @internal
 */
export class ClientFrameParser {
  private buffered: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentOpcode = 0;

  push(chunk: Buffer): ClientFrame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: ClientFrame[] = [];
    for (;;) {
      const frame = this.next();
      if (frame === undefined) return frames;
      frames.push(frame);
    }
  }

  private next(): ClientFrame | undefined {
    for (;;) {
      const b = this.buffered;
      if (b.length < 2) return undefined;
      const fin = (b[0]! & 0x80) !== 0;
      const opcode = b[0]! & 0x0f;
      const masked = (b[1]! & 0x80) !== 0;
      if (!masked) throw new Error('WebSocket: client frames must be masked');
      let length = b[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return undefined;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return undefined;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + 4 + length) return undefined;
      const mask = b.subarray(offset, offset + 4);
      const payload = Buffer.alloc(length);
      for (let i = 0; i < length; i++) payload[i] = b[offset + 4 + i]! ^ mask[i % 4]!;
      this.buffered = b.subarray(offset + 4 + length);
      if (opcode >= 0x8) return { opcode, payload };
      if (opcode !== opcodes.continuation) this.fragmentOpcode = opcode;
      this.fragments.push(payload);
      if (!fin) continue;
      const message = { opcode: this.fragmentOpcode, payload: Buffer.concat(this.fragments) };
      this.fragments = [];
      return message;
    }
  }
}
