export { type ActivityEntry, logActivity } from './activity-log.js';
export {
  type AnalysisResult,
  deleteAnalysisResults,
  getAnalysisResult,
  purgeExpiredAnalysisResults,
  putAnalysisResult,
} from './analysis-results.js';
export {
  type ApiKeyCredentials,
  type ApiKeyRecord,
  type CountedRequests,
  countKeyRequests,
  findApiKeyByPrefix,
  findApiKeyOrganizationId,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
} from './api-keys.js';
export { clearArchive, listArchivableFiles, replaceChunksWithArchive } from './archives.js';
export { ensureAudit } from './audits.js';
export {
  backupSchemas,
  createDatabaseIfMissing,
  ensureAppRole,
  ensureStatementsExtension,
  exportSnapshot,
  hasIngestSchema,
  listReferencedObjects,
  type ReferencedObject,
} from './backup-support.js';
export { type ChunkRow, ChunkWriter } from './chunk-writer.js';
export { readChunks, type StoredChunk } from './chunks.js';
export { lockFile, tryLockFile, tryWithFileLock, unlockFile, withFileLock } from './file-lock.js';
export {
  type ClaimedFile,
  type CompletedFile,
  claimFile,
  deleteFileRow,
  type FileArchive,
  type FileColumn,
  type FileCursor,
  type FileRecord,
  type FileSummaryRecord,
  findFileBySha,
  findFileOrganizationId,
  getFile,
  listFiles,
  listFilesPage,
  markFileReady,
} from './files.js';
export { insertMetricRows, listFileMetrics, listReadyFileMetrics } from './metrics-rows.js';
export { migrate, pendingMigrations } from './migrate.js';
export {
  activityPartitionsAhead,
  listPartitionSizes,
  listSlowQueries,
  organizationMetricsRefreshedAt,
  type PartitionSize,
  queueBacklog,
  type SlowQuery,
  serverVersion,
} from './monitoring.js';
export { notify, ping } from './notifications.js';
export {
  deleteOrganizationRows,
  refreshTenantViews,
  type TenantTable,
} from './organization-data.js';
export {
  listOrganizationMetrics,
  type OrganizationMetrics,
  refreshOrganizationMetrics,
} from './organization-metrics.js';
export {
  createOrganization,
  ensureOrganization,
  getOrganization,
  getOrganizationById,
  listOrganizations,
  type Organization,
} from './organizations.js';
export { createPool, flushStatementTimings, type Queryable } from './pool.js';
export {
  deleteAbandonedFile,
  findFileSha256,
  listProcessingFiles,
  type ProcessingFile,
} from './recovery.js';
export { insertRejectedRows, listRejectedRows, type RejectedRowRecord } from './rejected-rows.js';
export {
  enterTenant,
  inTenantTransaction,
  inTenantTransactionUncoerced,
  type TenantOptions,
  withAppRole,
  withTenant,
  withTransaction,
} from './tenant-context.js';
export { chargeStorage, reserveStorage, type StorageUsage, storageUsage } from './usage.js';
