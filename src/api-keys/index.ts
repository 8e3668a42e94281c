export {
  type GeneratedApiKey,
  generateApiKey,
  hashSecret,
  parseApiKey,
  secretMatches,
} from './key-format.js';
export { createApiKey, revokeApiKeyById } from './lifecycle.js';
export { parseScopes, SCOPES, type Scope } from './scopes.js';
