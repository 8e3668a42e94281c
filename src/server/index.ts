export { createApiKey, revokeApiKeyById } from './api-keys.js';
export type { Principal } from './authenticate.js';
export { parseScopes, SCOPES, type Scope } from './scopes.js';
export { type RunningServer, type ServerOptions, startServer } from './serve.js';
