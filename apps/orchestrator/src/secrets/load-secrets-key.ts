import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Where the secrets key comes from; see loadSecretsKey. */
export interface SecretsKeySource {
  /** The key itself: 32 bytes as 64 hex digits or base64. */
  key?: string;
  /** A file holding the key in one of those forms. */
  keyFile?: string;
  /** Data directory: the key is generated into `<dataDir>/secrets.key` when neither is given. */
  dataDir: string;
}

/**
 * Decodes a key text: 64 hex digits or base64(url) of 32 bytes.
 * @throws Error when it is neither
 */
export function decodeSecretsKey(text: string, where: string): Buffer {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  const decoded = Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
  if (decoded.length === 32 && /^[A-Za-z0-9+/_-]+=*$/.test(value)) return decoded;
  throw new Error(`${where} must hold a 32-byte key as 64 hex digits or base64 (e.g. openssl rand -base64 32)`);
}

/**
 * The 32-byte key that encrypts secret env values: JOBMESH_SECRETS_KEY, else
 * the file JOBMESH_SECRETS_KEY_FILE, else `<JOBMESH_DATA_DIR>/secrets.key`,
 * generated there (mode 0600) on first start. Every orchestrator replica must
 * use the same key; the generated file suits one machine and development only.
 * @returns the key and where it came from (never the key in a log)
 * @throws Error when the key or file is unreadable or malformed
 */
export async function loadSecretsKey(source: SecretsKeySource): Promise<{ key: Buffer; origin: string }> {
  if (source.key) return { key: decodeSecretsKey(source.key, 'JOBMESH_SECRETS_KEY'), origin: 'JOBMESH_SECRETS_KEY' };
  if (source.keyFile) {
    const text = await readFile(source.keyFile, 'utf8').catch((error: Error) => {
      throw new Error(`cannot read JOBMESH_SECRETS_KEY_FILE ${source.keyFile}: ${error.message}`, { cause: error });
    });
    return { key: decodeSecretsKey(text, source.keyFile), origin: source.keyFile };
  }
  const file = join(source.dataDir, 'secrets.key');
  await mkdir(dirname(file), { recursive: true });
  // Written whole under a temporary name, then linked into place: two replicas
  // starting at once on one data dir agree on one key and never read half a file.
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
  let origin = `${file} (generated)`;
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    origin = file;
  } finally {
    await rm(temporary, { force: true });
  }
  return { key: decodeSecretsKey(await readFile(file, 'utf8'), file), origin };
}
