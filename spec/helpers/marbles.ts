/**
 * The single import point for rxjs-marbles in the specs: run mode, chai assertions through
 * rxjs-marbles' own deep-equal (errors compared by name and message only).
 */
export { marbles, cases } from 'rxjs-marbles/mocha';
export type { Context } from 'rxjs-marbles/mocha';
