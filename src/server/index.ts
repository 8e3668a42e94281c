export { generateApiKey, hashSecret, parseApiKey, secretMatches } from './api-key-format.js';
export { createApiKey, revokeApiKeyById } from './api-keys.js';
export { buildApp } from './app.js';
export { authenticate, type Principal } from './authenticate.js';
export { parseScopes, SCOPES, type Scope } from './scopes.js';
export { DEFAULT_GRACE_MS, type RunningServer, type ServerOptions, startServer } from './serve.js';
