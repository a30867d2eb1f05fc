import { expect } from 'chai';
import {
  headerLine,
  liveStatus,
  statusHeader,
  statusLine,
  StatusBoard,
} from '../../../examples/scenario/liveStatus';
import { sampleEvents, sampleRecord } from './sampleRecord';

describe('examples/scenario/liveStatus', () => {
  describe('liveStatus', () => {
    it('should count the last second and age the calls still waiting', () => {
      // At 500: call 0 ended in the last second (20 ms); calls 1 and 2 wait, for 250 and 50 ms so far.
      expect(liveStatus(sampleEvents, 'unprotected', 500)).to.deep.equal({
        client: 'unprotected',
        callsPerSecond: 1,
        p50: 50,
        p99: 250,
        errors: 0,
        refused: 0,
        dropped: 0,
        waiting: 2,
        breaker: undefined,
      });
    });

    it('should count failures since the start and show the breaker state then', () => {
      expect(liveStatus(sampleEvents, 'protected', 720)).to.deep.equal({
        client: 'protected',
        callsPerSecond: 4,
        p50: 10,
        p99: 300,
        errors: 1,
        refused: 1,
        dropped: 1,
        waiting: 0,
        breaker: 'halfOpen',
      });
    });

    it('should forget calls that ended more than a second ago', () => {
      const later = liveStatus(sampleEvents, 'protected', 1800);
      expect(later).to.include({ callsPerSecond: 1, p50: 150, p99: 150, breaker: 'closed' });
    });
  });

  describe('statusLine', () => {
    it('should put each value under its column', () => {
      const line = statusLine(liveStatus(sampleEvents, 'unprotected', 500));
      expect(statusHeader()).to.equal(
        '            calls/s    p50    p99 errors refused dropped waiting  breaker',
      );
      expect(line).to.equal('unprotected       1   50ms  250ms      0       0       0       2  none');
      expect(line.length).to.be.below(80);
    });
  });

  describe('headerLine', () => {
    it('should say the time and what the dependency does', () => {
      expect(headerLine(450, sampleRecord.phases)).to.equal(
        't=  0.5s  dependency down: hangs: reads each request and never answers',
      );
    });
  });

  describe('StatusBoard', () => {
    it('should redraw the block in place on a terminal, cutting lines at its width', () => {
      const written: string[] = [];
      const board = new StatusBoard({ write: (text) => written.push(text), isTTY: true, columns: 8 });
      board.draw(['a', 'b']);
      board.draw(['0123456789', 'd']);
      expect(written).to.deep.equal(['\x1b[2Ka\n\x1b[2Kb\n', '\x1b[2F\x1b[2K0123456\n\x1b[2Kd\n']);
    });

    it('should print plain lines when piped', () => {
      const written: string[] = [];
      const board = new StatusBoard({ write: (text) => written.push(text) });
      board.draw(['a', 'b']);
      board.draw(['c', 'd']);
      expect(written.join('')).to.equal('a\nb\nc\nd\n');
    });
  });
});
