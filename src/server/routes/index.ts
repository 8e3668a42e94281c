export { runAsyncUpload, type ServerJobs } from './async-upload.js';
export { fileRoutes } from './files.js';
export { healthRoutes } from './health.js';
export { importRoutes } from './import.js';
export { jobJson, jobRoutes } from './jobs.js';
export { rowRoutes } from './rows.js';
export { uploadRoutes } from './upload.js';
export { usageRoutes } from './usage.js';
