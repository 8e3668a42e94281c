export { fileRoutes } from './files.js';
export { healthRoutes } from './health.js';
export { uploadRoutes } from './upload.js';
export { usageRoutes } from './usage.js';
