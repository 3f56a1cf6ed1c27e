import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { addressSchema, ConfigError, parseConfig, serviceAddressDefaults } from '../src/index.ts';

const schema = z.object({
  JOBMESH_PERSISTENCE_ADDR: addressSchema.default(serviceAddressDefaults.persistence),
  JOBMESH_DB_POOL_SIZE: z.coerce.number().int().min(1).default(10),
  DATABASE_URL: z.string().regex(/^postgres:\/\//, 'must be a postgres:// URL').optional(),
});

test('defaults apply when variables are unset', () => {
  assert.equal(parseConfig(schema, {}), { JOBMESH_PERSISTENCE_ADDR: '127.0.0.2:50052', JOBMESH_DB_POOL_SIZE: 10 });
});

test('every invalid variable is reported at once, by name', () => {
  try {
    parseConfig(schema, { JOBMESH_PERSISTENCE_ADDR: 'nope', JOBMESH_DB_POOL_SIZE: '0', DATABASE_URL: 'mysql://x' });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, ConfigError);
    const problems = (error as ConfigError).problems;
    assert.is(problems.length, 3);
    assert.ok(problems.some((p) => p.startsWith('JOBMESH_PERSISTENCE_ADDR:')));
    assert.ok(problems.some((p) => p.startsWith('JOBMESH_DB_POOL_SIZE:')));
    assert.ok(problems.some((p) => p.startsWith('DATABASE_URL:')));
  }
});

test('addresses: host:port with a port up to 65535, IPv6 in brackets', () => {
  for (const ok of ['127.0.0.1:0', 'localhost:50051', '[::1]:9000', 'persistence:50052']) assert.ok(addressSchema.safeParse(ok).success, ok);
  for (const bad of ['127.0.0.1', ':50051', '127.0.0.1:70000', 'a b:1']) assert.not.ok(addressSchema.safeParse(bad).success, bad);
});

test.run();
