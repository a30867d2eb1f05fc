import { expect } from 'chai';
import * as rxjs from 'rxjs';
import * as operators from 'rxjs/operators';
import * as library from '../src/index';
import * as testing from '../src/testing/index';

describe('index', () => {
  const names = Object.keys(library);

  it('should export no name that collides with an rxjs 7 export', () => {
    const taken = new Set([...Object.keys(rxjs), ...Object.keys(operators)]);
    expect(names.filter((name) => taken.has(name))).to.deep.equal([]);
    expect(Object.keys(testing).filter((name) => taken.has(name))).to.deep.equal([]);
  });

  it('should export only defined values', () => {
    for (const name of names)
      expect((library as Record<string, unknown>)[name], name).to.not.equal(undefined);
  });

  it('should pair every error class with its guard', () => {
    const errors = names.filter((name) => /^[A-Z]\w*Error$/.test(name));
    expect(errors.length).to.be.greaterThan(3);
    for (const name of errors) expect(names, name).to.include(`is${name}`);
  });
});
