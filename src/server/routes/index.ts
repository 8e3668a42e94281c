export { auditRoutes } from './audits.js';
export { dashboardRoutes } from './dashboard.js';
export { fileRoutes } from './files.js';
export { healthRoutes } from './health.js';
export { importRoutes } from './import.js';
export { rowRoutes } from './rows.js';
export { uploadRoutes } from './upload.js';
export { usageRoutes } from './usage.js';
