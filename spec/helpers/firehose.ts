import { Observable } from 'rxjs';

/**
 * A synchronous source of `count` values (0, 1, ...) that records each value it emits in `emitted` and
 * stops as soon as its subscriber is closed: the standard-battery check that an operator lets
 * `take(n)` stop a synchronous source (`emitted` must end at n values).
 */
export function firehose(count: number, emitted: number[]): Observable<number> {
  return new Observable<number>((subscriber) => {
    for (let i = 0; i < count && !subscriber.closed; i++) {
      emitted.push(i);
      subscriber.next(i);
    }
    subscriber.complete();
  });
}
