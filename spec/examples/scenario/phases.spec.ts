import { expect } from 'chai';
import { phaseAt, phasesOf } from '../../../examples/scenario/phases';

describe('examples/scenario/phases', () => {
  describe('phasesOf', () => {
    it('should share the duration: healthy, slow, down, recovering, back to back', () => {
      expect(phasesOf(20_000)).to.deep.equal([
        { name: 'healthy', from: 0, to: 5000 },
        { name: 'slow', from: 5000, to: 9000 },
        { name: 'down', from: 9000, to: 14_000 },
        { name: 'recovering', from: 14_000, to: 20_000 },
      ]);
    });

    it('should end exactly at the duration, whatever the rounding', () => {
      const phases = phasesOf(1001);
      expect(phases[phases.length - 1]!.to).to.equal(1001);
      phases.slice(1).forEach((p, i) => expect(p.from).to.equal(phases[i]!.to));
    });
  });

  describe('phaseAt', () => {
    it('should find the phase of an instant, the last one after the end', () => {
      const phases = phasesOf(1000);
      expect([0, 249, 250, 699, 700, 999, 5000].map((t) => phaseAt(phases, t))).to.deep.equal([
        'healthy',
        'healthy',
        'slow',
        'down',
        'recovering',
        'recovering',
        'recovering',
      ]);
    });
  });
});
