import { createHash } from 'node:crypto';

/** Namespace of vm-runner VM ids (a fixed random UUID). */
const namespace = Buffer.from('6b1f3c2e9d4a4e0b8f5a2c7d1e3b9a40', 'hex');

/**
 * The VM id of a Prepare key: a UUIDv5 (SHA-1, RFC 9562) of the key, so the
 * same key gives the same id on every host restart without a lookup table.
 */
export function vmIdFromKey(key: string): string {
  const hash = createHash('sha1').update(namespace).update(key, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
