// The guide's `npm run redis:ping`: PING the Redis of REDIS_URL and print the round trip.
import { Redis } from 'ioredis';

const url = process.env.REDIS_URL;
if (!url) {
  console.error('REDIS_URL is not set');
  process.exit(78);
}
const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
const startedAt = performance.now();
try {
  await redis.connect();
  const reply = await redis.ping();
  console.log(`${reply} in ${(performance.now() - startedAt).toFixed(1)} ms`);
} catch (error) {
  console.error(`Redis unreachable: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  redis.disconnect();
}
