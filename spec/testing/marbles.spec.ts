import { expect } from 'chai';
import * as testing from '../../src/testing/index';
import * as marbles from '../../src/testing/marbles';

describe('rxjs-resilience/testing/marbles', () => {
  it('should export every helper of rxjs-resilience/testing but the fault server and proxy, the same ones', () => {
    const nodeOnly = Object.keys(testing).filter((name) => !(name in marbles));
    expect(nodeOnly.sort()).to.deep.equal(['startFaultProxy', 'startFaultServer']);
    for (const [name, value] of Object.entries(marbles)) {
      expect(value, name).to.equal(testing[name as keyof typeof testing]);
    }
  });
});
