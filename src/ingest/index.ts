export { deleteFile } from './delete-file.js';
export { type ExportOptions, exportFile, getReadyFile } from './export-file.js';
export { formatCsvRecord } from './format-csv.js';
export { ingest } from './ingest.js';
export { recoverAbandonedFiles } from './recover-abandoned.js';
export { openServices, type Services } from './services.js';
export type {
  Actor,
  Admission,
  IngestOptions,
  IngestResult,
  IngestServices,
  IngestSource,
  Progress,
} from './types.js';
