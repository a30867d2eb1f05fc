/**
 * A root hook: once every spec has run, mocha waits for the event loop to empty before it exits (no
 * `--exit`), so a handle a spec forgot (a client socket, a child process) would hold `npm test` open
 * until CI kills it, saying nothing. This gives the process 20 s after the last spec, then names what
 * still holds it and exits with mocha's own code (the number of failures): a leak is reported, never a
 * silent hang. The timer is unref'd, so a process that empties exits at once, as before.
 */
export const mochaHooks = {
  afterAll(): void {
    const grace = setTimeout(() => {
      const held = process
        .getActiveResourcesInfo()
        .filter((resource) => resource !== 'Timeout' && resource !== 'TTYWrap');
      process.stderr.write(
        `\nmocha finished, but the process was still held open 20 s later by: ${held.join(', ') || 'timers'}.\n` +
          'A spec left these behind; exiting with mocha’s result.\n',
      );
      process.exit();
    }, 20_000);
    grace.unref();
  },
};
