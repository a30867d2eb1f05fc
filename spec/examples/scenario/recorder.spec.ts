import { expect } from 'chai';
import { Recorder } from '../../../examples/scenario/recorder';

describe('examples/scenario/recorder', () => {
  describe('Recorder', () => {
    it('should stamp each event with the ms since start, to a tenth', () => {
      let now = 1000;
      const recorder = new Recorder(() => now);
      recorder.start();
      now = 1012.345;
      recorder.record({ type: 'arrive', client: 'protected', call: 0 });
      now = 1500;
      recorder.record({ type: 'stop' });
      expect(recorder.elapsed()).to.equal(500);
      expect(recorder.events).to.deep.equal([
        { type: 'arrive', client: 'protected', call: 0, at: 12.3 },
        { type: 'stop', at: 500 },
      ]);
    });
  });
});
