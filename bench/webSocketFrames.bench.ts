/**
 * The fault server's WebSocket frame parser on a large frame split by TCP: one masked 8 MiB binary frame
 * fed in 64 KiB pieces (128 pushes), parsed by
 * 1. ClientFrameParser (linear: the payload is allocated from the header and filled as bytes arrive),
 * 2. ws's Receiver (what a user would otherwise run; JS unmasking, no bufferutil),
 * 3. the parser as it was before issue 9 (every push concatenated onto all that was buffered: quadratic).
 */
import { Writable } from 'stream';
import { ClientFrameParser, opcodes } from '../src/testing/faultServer/webSocketFrames';
import { compare, Report } from './harness';

import * as ws from 'ws';

// ws's Receiver is the Writable that parses frames for a WebSocket server (its typings leave it out).
const Receiver = (
  ws as unknown as { Receiver: new (o: { isServer: boolean; maxPayload: number }) => Writable }
).Receiver;

const SIZE = 8 * 1024 * 1024;
const PIECE = 64 * 1024;

function maskedFrame(payload: Buffer): Buffer {
  const mask = [0xde, 0xad, 0xbe, 0xef];
  const header = Buffer.alloc(14);
  header[0] = 0x80 | opcodes.binary;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(payload.length), 2);
  Buffer.from(mask).copy(header, 10);
  const body = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = payload[i]! ^ mask[i & 3]!;
  return Buffer.concat([header, body]);
}

/** The pre-issue-9 algorithm, kept here only as the row to compare against. */
function quadraticParse(pieces: ReadonlyArray<Buffer>): number {
  let buffered: Buffer = Buffer.alloc(0);
  let frames = 0;
  for (const chunk of pieces) {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    if (buffered.length < 14) continue;
    const length = Number(buffered.readBigUInt64BE(2));
    if (buffered.length < 14 + length) continue;
    const mask = buffered.subarray(10, 14);
    const payload = Buffer.alloc(length);
    for (let i = 0; i < length; i++) payload[i] = buffered[14 + i]! ^ mask[i % 4]!;
    buffered = buffered.subarray(14 + length);
    frames++;
  }
  return frames;
}

export default async function main(): Promise<void> {
  const report = new Report(
    'webSocketFrames',
    'fault server: parsing an 8 MiB WebSocket frame in 64 KiB pieces',
  );
  const frame = maskedFrame(Buffer.alloc(SIZE, 0x5a));
  const pieces: Buffer[] = [];
  for (let from = 0; from < frame.length; from += PIECE) pieces.push(frame.subarray(from, from + PIECE));

  const rows = await compare(
    [
      {
        name: 'ClientFrameParser (linear)',
        run: (n) => {
          for (let k = 0; k < n; k++) {
            const parser = new ClientFrameParser();
            let frames = 0;
            for (const piece of pieces) frames += parser.push(piece).length;
            if (frames !== 1) throw new Error('expected one frame');
          }
        },
      },
      {
        name: 'ws Receiver',
        run: async (n) => {
          for (let k = 0; k < n; k++) {
            const receiver = new Receiver({ isServer: true, maxPayload: 0 });
            const done = new Promise<void>((resolve) => receiver.once('message', () => resolve()));
            for (const piece of pieces) receiver.write(piece);
            await done;
          }
        },
      },
      {
        name: 'concat onto the buffer per push (before issue 9)',
        run: (n) => {
          for (let k = 0; k < n; k++) if (quadraticParse(pieces) !== 1) throw new Error('expected one frame');
        },
      },
    ],
    3,
    5,
  );
  report.timings('per 8 MiB frame (128 pushes of 64 KiB)', rows, 'ws Receiver');
  const ours = rows[0]!.nsPerOp;
  const ws = rows[1]!.nsPerOp;
  report.check('ClientFrameParser within 3x of ws Receiver', ours / ws, ours <= 3 * ws);
  report.save();
}
