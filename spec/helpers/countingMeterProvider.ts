import type { Meter, MeterProvider } from '@opentelemetry/api';

/**
 * Wraps a MeterProvider and counts the batch observable callbacks registered on its meters and not yet
 * removed: what a recording leaves behind in an SDK.
 */
export class CountingMeterProvider implements MeterProvider {
  /** Callbacks added minus callbacks removed. */
  liveCallbacks = 0;
  /** Callbacks ever added. */
  addedCallbacks = 0;

  constructor(private readonly inner: MeterProvider) {}

  getMeter(name: string, version?: string, options?: { schemaUrl?: string }): Meter {
    const meter = this.inner.getMeter(name, version, options);
    return new Proxy(meter, {
      get: (target, property, receiver) => {
        if (property === 'addBatchObservableCallback') {
          return (...args: Parameters<Meter['addBatchObservableCallback']>) => {
            this.liveCallbacks++;
            this.addedCallbacks++;
            target.addBatchObservableCallback(...args);
          };
        }
        if (property === 'removeBatchObservableCallback') {
          return (...args: Parameters<Meter['removeBatchObservableCallback']>) => {
            this.liveCallbacks--;
            target.removeBatchObservableCallback(...args);
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}
