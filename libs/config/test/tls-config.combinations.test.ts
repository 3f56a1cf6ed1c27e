import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { ConfigError, loadTlsConfig, parseConfig, refineTlsEnv, tlsEnvShape, toTlsConfig } from '../src/index.ts';

test('no TLS variable: plaintext (undefined)', () => {
  assert.is(loadTlsConfig({}), undefined);
});

test('certificate and key make a TLS config; require turns on mutual TLS', () => {
  assert.equal(loadTlsConfig({ JOBMESH_TLS_CERT: 'c.pem', JOBMESH_TLS_KEY: 'k.pem', JOBMESH_TLS_CA: 'ca.pem', JOBMESH_TLS_CLIENT_AUTH: 'require' }),
    { certFile: 'c.pem', keyFile: 'k.pem', caFile: 'ca.pem', clientAuth: true, serverName: undefined });
  // A client (the CLI) may have only a CA.
  assert.equal(loadTlsConfig({ JOBMESH_TLS_CA: 'ca.pem' }), { certFile: undefined, keyFile: undefined, caFile: 'ca.pem', clientAuth: false, serverName: undefined });
});

test('{service} in the certificate and key paths becomes the name of the process reading them', () => {
  const env = { JOBMESH_TLS_CERT: '/certs/{service}.crt', JOBMESH_TLS_KEY: '/certs/{service}.key', JOBMESH_TLS_CA: '/certs/ca.crt' };
  assert.equal(loadTlsConfig(env, 'vm-runner'), { certFile: '/certs/vm-runner.crt', keyFile: '/certs/vm-runner.key', caFile: '/certs/ca.crt', clientAuth: false, serverName: undefined });
  assert.is(loadTlsConfig(env)?.certFile, '/certs/{service}.crt', 'left as written without a name');
});

test('half a pair, require without a CA, or an unknown mode is refused, naming each variable', () => {
  assert.throws(() => loadTlsConfig({ JOBMESH_TLS_CERT: 'c.pem' }), /JOBMESH_TLS_KEY/);
  assert.throws(() => loadTlsConfig({ JOBMESH_TLS_KEY: 'k.pem' }), /JOBMESH_TLS_CERT/);
  assert.throws(() => loadTlsConfig({ JOBMESH_TLS_CERT: 'c.pem', JOBMESH_TLS_KEY: 'k.pem', JOBMESH_TLS_CLIENT_AUTH: 'require' }), /JOBMESH_TLS_CLIENT_AUTH/);
  assert.throws(() => loadTlsConfig({ JOBMESH_TLS_CLIENT_AUTH: 'optional' }), /JOBMESH_TLS_CLIENT_AUTH/);
});

test('inside a service schema, TLS problems are listed with the others', () => {
  const schema = z.object({ PORT: z.coerce.number().int(), ...tlsEnvShape }).superRefine(refineTlsEnv).transform((env) => ({ tls: toTlsConfig(env) }));
  try {
    parseConfig(schema, { PORT: '1', JOBMESH_TLS_CERT: 'c.pem' });
    assert.unreachable('parsed');
  } catch (error) {
    assert.instance(error, ConfigError);
    assert.equal((error as ConfigError).problems, ['JOBMESH_TLS_KEY: is required with JOBMESH_TLS_CERT']);
  }
});

test.run();
