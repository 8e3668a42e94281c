export { apiKeyJson } from './api-key-json.js';
export {
  type ArchivedFile,
  type ArchiveResult,
  type ArchiveServices,
  archiveFiles,
} from './archive-file.js';
export {
  type AuditDetail,
  type AuditRef,
  attachFile,
  auditDetailJson,
  auditJson,
  changeAudit,
  detachFile,
  findAudits,
  moveAudit,
  newAudit,
  removeAudit,
  showAudit,
} from './audits.js';
export {
  type AuditMetrics,
  auditMetrics,
  funnelRange,
  organizationDashboard,
} from './dashboards.js';
export { deleteFile } from './delete-file.js';
export {
  deleteOrganization,
  type OrganizationDeletion,
} from './delete-organization.js';
export { type ExportOptions, exportFile, exportReadyFile, getReadyFile } from './export-file.js';
export { exportOriginal } from './export-original.js';
export { exportParquet } from './export-parquet.js';
export { fileDetail, fileSummary } from './file-json.js';
export { parseColumnList, pickColumns, type RowRange, readRecordBatches } from './file-records.js';
export { authorizeImport, type ImportPolicy, parseImportUrl } from './import-url.js';
export { ingest } from './ingest.js';
export {
  type MaterializeOptions,
  type MaterializeResult,
  materializeFile,
  parseTableName,
  TYPE_FAILURE_POLICIES,
  type TypeFailurePolicy,
} from './materialize-file.js';
export {
  type PageOptions,
  type RejectedPage,
  type RowsPage,
  readRejectedPage,
  readRowsPage,
  rowsPageCsv,
  writeRowsCsv,
} from './read-rows.js';
export { type PeriodicRecovery, recoverPeriodically } from './recover-periodically.js';
export { type RestoreResult, restoreFile } from './restore-file.js';
export { isS3Url, openS3Source, parseS3Url, type S3Location } from './s3-source.js';
export { safeFilename } from './safe-filename.js';
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
export { type UploadByteLimit, uploadByteLimit } from './upload-limit.js';
