import { Subscription } from 'rxjs';
import type { PolicyRegistry } from '../registry/PolicyRegistry';
import { isPolicyRegistry } from '../internal/brand';
import type { PolicyRegistryEvent } from '../registry/PolicyRegistryEvent';
import type { PolicyRecorder } from './PolicyRecorder';
import type { Recording } from './Recording';

/** A registry of any key and policy. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRegistry = PolicyRegistry<any, any>;

/**
 * Records a `PolicyRegistry`: every policy it holds now and every one it creates later, each as its own
 * kind is recorded (under its own `name`), until the registry evicts it. An evicted policy's gauges stop
 * being reported; its subscription to the policy is dropped, so the registry's memory bound holds.
 * Policies of a kind `instrument` does not know are skipped.
 * @internal
 */
export const registryRecorder: PolicyRecorder<AnyRegistry> = {
  kind: 'PolicyRegistry',
  accepts: (policy): policy is AnyRegistry => isPolicyRegistry(policy),
  record(registry: AnyRegistry, recording: Recording): Subscription {
    const recorded = new Map<unknown, Subscription>();
    const add = (policy: unknown): void => {
      if (typeof policy !== 'object' || policy === null || recorded.has(policy)) return;
      recorded.set(policy, recording.add(policy));
    };
    const subscription = new Subscription(() => {
      for (const policySubscription of recorded.values()) policySubscription.unsubscribe();
      recorded.clear();
    });
    subscription.add(
      registry.events$.subscribe((event: PolicyRegistryEvent<unknown, unknown>) => {
        if (event.type === 'created') {
          add(event.policy);
        } else {
          recorded.get(event.policy)?.unsubscribe();
          recorded.delete(event.policy);
        }
      }),
    );
    for (const key of registry.keys()) add(registry.peek(key));
    return subscription;
  },
};
