export type { Principal } from './authenticate.js';
export { type RunningServer, type ServerOptions, startServer } from './serve.js';
