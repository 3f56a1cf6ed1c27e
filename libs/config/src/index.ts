export { assertSupportedNode } from './assert-supported-node.ts';
export { ConfigError, parseConfig } from './parse-config.ts';
export { loadConfigOrExit } from './load-config-or-exit.ts';
export { isLoopbackAddress } from './is-loopback-address.ts';
export { addressSchema, serviceAddressDefaults, serviceAddressVariables } from './service-addresses.ts';
export type { ServiceName } from './service-addresses.ts';
export { loadTlsConfig, refineTlsEnv, tlsEnvProblems, tlsEnvShape, tlsServicePlaceholder, tlsVariables, toTlsConfig } from './tls-config.ts';
export type { TlsConfig } from './tls-config.ts';
