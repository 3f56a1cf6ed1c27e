import pg from 'pg';

// Lower-case only, so the name means the same quoted or not; 63 bytes is Postgres' limit.
const databaseName = /^[a-z_][a-z0-9_]{0,62}$/;

function checkName(name: string): string {
  if (!databaseName.test(name)) throw new Error(`invalid database name ${JSON.stringify(name)}: expected ${databaseName}`);
  return pg.escapeIdentifier(name);
}

async function runAsAdmin(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * Creates database `name` on the server of `adminUrl` (a superuser URL, e.g. the one
 * `startEmbeddedPostgres` returns). Fails when it exists already.
 */
export async function createDatabase(adminUrl: string, name: string): Promise<void> {
  await runAsAdmin(adminUrl, `CREATE DATABASE ${checkName(name)}`);
}

/**
 * Drops database `name` if it exists, closing its open connections first (WITH FORCE), so a
 * test that leaked a pool still cleans up.
 */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await runAsAdmin(adminUrl, `DROP DATABASE IF EXISTS ${checkName(name)} WITH (FORCE)`);
}
