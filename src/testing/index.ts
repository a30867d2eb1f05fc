/* Test helpers for users of rxjs-resilience: import from `rxjs-resilience/testing`. */
export {};
