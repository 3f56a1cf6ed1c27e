import pg from 'pg';

/**
 * Every `table.column` of the public schema whose text form holds `needle`:
 * text and json as they are, bytea both as its bytes and as the hex Postgres
 * prints. For tests that prove a value never reached the database in the clear.
 * @returns the places found, e.g. `["job_log_chunks.data"]`; empty when none
 */
export async function findTextInDatabase(url: string, needle: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query<{ table_name: string; column_name: string; data_type: string }>(
      `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'`,
    );
    const found: string[] = [];
    for (const { table_name: table, column_name: column, data_type: type } of columns.rows) {
      const name = `${pg.escapeIdentifier(table)}.${pg.escapeIdentifier(column)}`;
      const condition = type === 'bytea'
        ? `position(convert_to($1, 'UTF8') in ${name}) > 0`
        : `strpos(${name}::text, $1) > 0`;
      const result = await client.query(`SELECT 1 FROM ${pg.escapeIdentifier(table)} WHERE ${condition} LIMIT 1`, [needle]);
      if (result.rowCount) found.push(`${table}.${column}`);
    }
    return found;
  } finally {
    await client.end();
  }
}
