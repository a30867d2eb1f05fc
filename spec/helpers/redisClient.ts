import Redis, { type RedisOptions } from 'ioredis';
import type { RedisServer } from './redisServer';

/**
 * An ioredis client of `server`, resolved once it is ready. Connection errors (the specs kill the
 * server on purpose) are kept in `errors` rather than printed.
 */
export async function connectedClient(
  server: RedisServer,
  options: RedisOptions = {},
): Promise<Redis & { readonly errors: Error[] }> {
  const errors: Error[] = [];
  // ioredis 6's own option types do not admit an explicit `undefined` under exactOptionalPropertyTypes.
  const client = new Redis(server.port, server.host, options as never);
  client.on('error', (err: Error) => errors.push(err));
  if (client.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve);
      client.once('end', () => reject(new Error(`could not connect to redis-server on port ${server.port}`)));
    });
  }
  return Object.assign(client, { errors });
}
