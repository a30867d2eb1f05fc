import type { Writable } from 'stream';

/**
 * The largest body (or body chunk) a fault-server route will send on request: 256 MiB. Below V8's
 * longest string (about 512 MiB), so a client can still read the whole body as text; larger asks are
 * answered with `400`.
 * @internal
 */
export const MAX_BODY_SIZE = 268_435_456;

/** The piece bodies are streamed in: one shared buffer per byte value, never a body-sized string. */
const PIECE = 64 * 1024;
const pieces = new Map<string, Buffer>();

function pieceOf(byte: string): Buffer {
  let piece = pieces.get(byte);
  if (piece === undefined) {
    piece = Buffer.alloc(PIECE, byte);
    pieces.set(byte, piece);
  }
  return piece;
}

/**
 * Streams `size` copies of the one-byte string `byte` to `out` in pieces of 64 KiB taken from a shared
 * buffer, waiting for `'drain'` whenever `out` is full, so a client that reads slowly (or not at all)
 * holds the server to a socket's worth of memory rather than the whole body. Calls `done` once the last
 * piece is flushed; never when `out` is destroyed first.
 * @internal
 */
export function writeRepeated(out: Writable, byte: string, size: number, done: () => void): void {
  const piece = pieceOf(byte);
  let left = size;
  const finish = (): void => {
    if (!out.destroyed) done();
  };
  const pump = (): void => {
    if (left === 0) {
      finish();
      return;
    }
    while (left > 0 && !out.destroyed) {
      const n = Math.min(left, PIECE);
      left -= n;
      const chunk = n === PIECE ? piece : piece.subarray(0, n);
      const room = left === 0 ? out.write(chunk, finish) : out.write(chunk);
      if (!room && left > 0) {
        out.once('drain', pump);
        return;
      }
    }
  };
  pump();
}
