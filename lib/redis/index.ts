/** `undici-oauth/redis`: a TokenStore on the Redis client you already have (ioredis or node-redis). */
export type { IoredisLike, NodeRedisLike, RedisClientLike } from './redis-client.js'
export { RedisTokenStore, type RedisTokenStoreOptions } from './redis-token-store.js'
