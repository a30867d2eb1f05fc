import { expect } from 'chai';
import fc from 'fast-check';
import {
  ClientFrameParser,
  MAX_MESSAGE_SIZE,
  opcodes,
  type ClientFrame,
} from '../../../src/testing/faultServer/webSocketFrames';

/** A masked client frame, as RFC 6455 §5.2 lays it out (independent of the parser under test). */
function clientFrame(opcode: number, payload: Buffer, { fin = true, mask = [1, 2, 3, 4] } = {}): Buffer {
  const length = payload.length;
  const head =
    length < 126 ? [length | 0x80] : length < 65536 ? [126 | 0x80, length >> 8, length & 0xff] : undefined;
  let header: Buffer;
  if (head !== undefined) header = Buffer.from([(fin ? 0x80 : 0) | opcode, ...head, ...mask]);
  else {
    header = Buffer.alloc(14);
    header[0] = (fin ? 0x80 : 0) | opcode;
    header[1] = 127 | 0x80;
    header.writeBigUInt64BE(BigInt(length), 2);
    Buffer.from(mask).copy(header, 10);
  }
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([header, masked]);
}

/** Cuts `bytes` at the given offsets (sorted, deduplicated, clamped), as TCP might. */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    pieces.push(bytes.subarray(from, p));
    from = p;
  }
  return pieces;
}

const show = (frames: ClientFrame[]) => frames.map((f) => [f.opcode, f.payload.toString('hex')]);

describe('ClientFrameParser', () => {
  it('should read text, binary, ping and close frames, unmasked', () => {
    const parser = new ClientFrameParser();
    const bytes = Buffer.concat([
      clientFrame(opcodes.text, Buffer.from('hello')),
      clientFrame(opcodes.binary, Buffer.from([0, 255, 7])),
      clientFrame(opcodes.ping, Buffer.alloc(0)),
      clientFrame(opcodes.close, Buffer.from([0x03, 0xe8])),
    ]);
    expect(show(parser.push(bytes))).to.deep.equal([
      [opcodes.text, Buffer.from('hello').toString('hex')],
      [opcodes.binary, '00ff07'],
      [opcodes.ping, ''],
      [opcodes.close, '03e8'],
    ]);
  });

  it('should reassemble a fragmented message, with a control frame between its fragments', () => {
    const parser = new ClientFrameParser();
    const frames = parser.push(
      Buffer.concat([
        clientFrame(opcodes.text, Buffer.from('frag'), { fin: false }),
        clientFrame(opcodes.ping, Buffer.from('p')),
        clientFrame(opcodes.continuation, Buffer.from('men'), { fin: false }),
        clientFrame(opcodes.continuation, Buffer.from('ted'), { mask: [9, 8, 7, 6] }),
      ]),
    );
    expect(frames.map((f) => [f.opcode, f.payload.toString()])).to.deep.equal([
      [opcodes.ping, 'p'],
      [opcodes.text, 'fragmented'],
    ]);
  });

  it('should throw on an unmasked frame and on a frame above the size limit', () => {
    const unmasked = Buffer.from([0x81, 0x01, 0x61]);
    expect(() => new ClientFrameParser().push(unmasked)).to.throw('WebSocket: client frames must be masked');
    const huge = Buffer.alloc(14);
    huge[0] = 0x82;
    huge[1] = 0xff;
    huge.writeBigUInt64BE(BigInt(MAX_MESSAGE_SIZE + 1), 2);
    expect(() => new ClientFrameParser().push(huge)).to.throw(
      `WebSocket: frame of ${MAX_MESSAGE_SIZE + 1} bytes is too large`,
    );
  });

  it('should give the same frames however the bytes are split', () => {
    const frameArb = fc.record({
      opcode: fc.constantFrom(opcodes.text, opcodes.binary, opcodes.ping),
      payload: fc.oneof(
        fc.uint8Array({ maxLength: 130 }),
        fc.integer({ min: 65530, max: 65800 }).map((n) => new Uint8Array(n).fill(n & 0xff)),
      ),
      mask: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
    });
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (frames, at) => {
          const bytes = Buffer.concat(
            frames.map((f) => clientFrame(f.opcode, Buffer.from(f.payload), { mask: f.mask })),
          );
          const parser = new ClientFrameParser();
          const seen = cut(bytes, at).flatMap((piece) => parser.push(piece));
          expect(show(seen)).to.deep.equal(
            frames.map((f) => [f.opcode, Buffer.from(f.payload).toString('hex')]),
          );
        },
      ),
      { numRuns: 100, seed: 20261203 },
    );
  });

  it('should be linear: a 16 MiB frame in 64 KiB pieces is never concatenated onto what came before', function () {
    this.timeout(20_000);
    const size = 16 * 1024 * 1024;
    const payload = Buffer.alloc(size, 0x5a);
    const bytes = clientFrame(opcodes.binary, payload, { mask: [0xde, 0xad, 0xbe, 0xef] });
    const parser = new ClientFrameParser();
    // The quadratic parser copied everything buffered so far on every push: 2.1 GB for this frame.
    const concat = Buffer.concat;
    let copied = 0;
    Buffer.concat = ((list: ReadonlyArray<Uint8Array>, length?: number) => {
      copied += list.reduce((sum, b) => sum + b.length, 0);
      return concat(list, length);
    }) as typeof Buffer.concat;
    const frames: ClientFrame[] = [];
    try {
      for (let from = 0; from < bytes.length; from += 64 * 1024) {
        frames.push(...parser.push(bytes.subarray(from, from + 64 * 1024)));
      }
    } finally {
      Buffer.concat = concat;
    }
    expect(copied).to.be.at.most(size);
    expect(frames).to.have.length(1);
    expect(frames[0]!.payload.equals(payload)).to.equal(true);
  });

  it('should hold what a frame sent, not what its header claims: 14 bytes never cost 256 MiB', () => {
    // A header announcing the largest frame allowed, then silence: the payload used to be allocated
    // from the length at once, so a peer could make the server reserve 256 MiB per connection for free.
    const header = Buffer.alloc(14);
    header[0] = 0x82;
    header[1] = 127 | 0x80;
    header.writeBigUInt64BE(BigInt(MAX_MESSAGE_SIZE), 2);
    const before = process.memoryUsage().arrayBuffers;
    const parsers = Array.from({ length: 4 }, () => new ClientFrameParser());
    for (const parser of parsers) {
      expect(parser.push(header)).to.deep.equal([]);
      expect(parser.push(Buffer.alloc(1024, 1))).to.deep.equal([]);
    }
    expect(process.memoryUsage().arrayBuffers - before).to.be.below(1024 * 1024);
  });
});
