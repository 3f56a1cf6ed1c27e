import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { failedPrecondition } from '@jobmesh/grpc-kit';

/** Seals and opens secret env maps with AES-256-GCM. */
export interface SecretBox {
  /** Encrypts `values`, bound to `context` (the job id): `v1.<iv>.<tag>.<ciphertext>`, base64url. */
  seal(context: string, values: Record<string, string>): string;
  /**
   * Decrypts what seal made for the same context.
   * @throws FAILED_PRECONDITION `SECRETS_UNREADABLE` when the key is not the one that sealed it, or the text was altered
   */
  open(context: string, sealed: string): Record<string, string>;
}

const b64 = (buffer: Buffer) => buffer.toString('base64url');

/**
 * A SecretBox over a 32-byte master key. The IV is synthetic: an HMAC of the
 * context and plaintext under a key of its own (both keys derived with HKDF),
 * so sealing the same secrets for the same job gives the same text. That keeps
 * a retried SubmitJob idempotent (persistence compares workflow inputs) and
 * never reuses an IV for different plaintexts, which would break GCM.
 * @throws Error when the key is not 32 bytes
 */
export function createSecretBox(masterKey: Buffer): SecretBox {
  if (masterKey.length !== 32) throw new Error(`the secrets key must be 32 bytes, got ${masterKey.length}`);
  const encryptionKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'jobmesh secret env: aes-256-gcm', 32));
  const ivKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'jobmesh secret env: synthetic iv', 32));
  return {
    seal(context, values) {
      // Sorted keys: the same map always serializes, and so seals, the same way.
      const plaintext = Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))));
      const iv = createHmac('sha256', ivKey).update(context).update('\0').update(plaintext).digest().subarray(0, 12);
      const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
      cipher.setAAD(Buffer.from(context));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return ['v1', b64(iv), b64(cipher.getAuthTag()), b64(ciphertext)].join('.');
    },
    open(context, sealed) {
      const [version, iv, tag, ciphertext] = sealed.split('.');
      try {
        if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new Error('not a v1 sealed text');
        const decipher = createDecipheriv('aes-256-gcm', encryptionKey, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(context));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        const plaintext = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
        return JSON.parse(plaintext.toString('utf8')) as Record<string, string>;
      } catch (error) {
        throw failedPrecondition('SECRETS_UNREADABLE', `the secret env of ${context} cannot be decrypted: was JOBMESH_SECRETS_KEY changed?`, { cause: error });
      }
    },
  };
}
