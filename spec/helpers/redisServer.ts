/**
 * A real Redis for the specs and the bench: Debian's redis-server on 127.0.0.1, on a free port, with
 * persistence off (`--save '' --appendonly no`) and a fresh temp dir, stopped (and the dir removed)
 * after. `.ci/ensure-system.js` (run by `pretest`) installs redis-server when it is missing; a spec that
 * needs it fails, never skips, without it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's redis-server package puts the server. */
export const REDIS_SERVER = '/usr/bin/redis-server';
/** The only address the server listens on. */
export const REDIS_HOST = '127.0.0.1';

/** One redis-server, which a spec may kill, pause and start again on the same port. */
export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** The running process's id (changes on `start()`). */
  readonly pid: number;
  /** Kills the server at once (SIGKILL: no shutdown, the clients' sockets just close). */
  kill(): Promise<void>;
  /** Freezes it (SIGSTOP): connections stay open and nothing is answered. */
  pause(): void;
  /** Thaws a paused server (SIGCONT). */
  resume(): void;
  /** Starts a stopped or killed server again, empty, on the same port. */
  start(): Promise<void>;
  /** Stops it (SIGTERM) and removes its dir. */
  stop(): Promise<void>;
}

/** Every server still running, stopped when the process exits (a crashed run leaves no orphan). */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A port no one listens on now at 127.0.0.1 (the OS's pick). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, REDIS_HOST, () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /**
   * Starts it in cluster mode, as a cluster of one node that holds every slot (what a Redis Cluster
   * client sees of a real cluster: slots, MOVED, hash tags, CROSSSLOT). @default false
   */
  readonly cluster?: boolean | undefined;
}

/** Spawns redis-server on `port` and resolves once it accepts connections. */
function spawnServer(port: number, dir: string, options: RedisServerOptions): Promise<ChildProcess> {
  const cluster =
    options.cluster === true
      ? [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-announce-ip',
          REDIS_HOST,
        ]
      : [];
  const child = spawn(
    REDIS_SERVER,
    [
      ...cluster,
      '--port',
      String(port),
      '--bind',
      REDIS_HOST,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--logfile',
      '',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes('Ready to accept connections')) {
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        child.stdout!.resume();
        resolve(child);
      }
    };
    const onExit = (code: number | null): void =>
      reject(new Error(`redis-server exited (${code}) before it was ready on port ${port}:\n${log}`));
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.once('exit', onExit);
    child.once('error', reject);
  });
}

function exited(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/**
 * Starts Debian's redis-server on 127.0.0.1 on a free port, persistence off, in a new temp dir. Throws,
 * saying which command installs it, when redis-server is missing.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(
      `${REDIS_SERVER} is missing: install Debian's redis-server (sudo apt-get install -y redis-server; ` +
        '`node .ci/ensure-system.js` does it as root)',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'rxjs-resilience-redis-'));
  let port = 0;
  let child: ChildProcess | null = null;
  // Another process may take the free port between the probe and the spawn: try a few.
  for (let attempt = 1; child === null; attempt++) {
    port = await freePort();
    try {
      child = await spawnServer(port, dir, options);
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
  let current: ChildProcess = child;
  return {
    host: REDIS_HOST,
    port,
    get pid() {
      return current.pid!;
    },
    kill: () => exited(current, 'SIGKILL'),
    pause: () => void current.kill('SIGSTOP'),
    resume: () => void current.kill('SIGCONT'),
    start: async () => {
      if (current.exitCode === null && current.signalCode === null)
        throw new Error('redis-server is running');
      current = await spawnServer(port, dir, options);
    },
    stop: async () => {
      current.kill('SIGCONT');
      await exited(current, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
