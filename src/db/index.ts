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
  getApiKey,
  insertApiKey,
  insertMemberApiKey,
  listApiKeys,
  type MemberKeyCreation,
  revokeApiKey,
  revokeMemberApiKey,
} from './api-keys.js';
export { clearArchive, listArchivableFiles, replaceChunksWithArchive } from './archives.js';
export {
  type AuditChanges,
  type AuditCursor,
  type AuditFileRecord,
  type AuditFilters,
  type AuditPeriod,
  type AuditRecord,
  type AuditTotals,
  attachFileToAudit,
  auditTotals,
  createAudit,
  deleteAudit,
  detachFileFromAudit,
  ensureAudit,
  getAudit,
  getAuditByName,
  listAuditFiles,
  listAudits,
  listAuditsQuery,
  type NewAudit,
  setAuditStatus,
  updateAudit,
} from './audits.js';
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
export { type Branding, getInheritedBranding, getOwnBranding, putBranding } from './branding.js';
export { type ChunkRow, ChunkWriter } from './chunk-writer.js';
export { chunkIndexForRow, readChunks, type StoredChunk } from './chunks.js';
export {
  type AuditColumnMetrics,
  auditColumnMetrics,
  auditFunnel,
  type Dashboard,
  dashboard,
  type FunnelStage,
  type OrganizationTotals,
  type RecentAudit,
  type StorageBreakdown,
} from './dashboards.js';
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
export { JOB_QUEUE_SCHEMA, migrateJobQueue } from './job-queue-schema.js';
export {
  getJob,
  insertJob,
  type JobRecord,
  listJobs,
  markJobCancelled,
  markJobFailed,
  markJobProgress,
  markJobRunning,
  markJobSucceeded,
  type NewJob,
  requeueJob,
} from './jobs.js';
export {
  alterColumnsToText,
  copyCsvInto,
  createTable,
  dropTable,
  enterMaterializeSession,
  INGEST_SCHEMAS,
  rollbackToSavepoint,
  SQL_TYPE_OF,
  savepoint,
  type TableName,
  type TargetColumn,
  tableColumns,
} from './materialized-tables.js';
export {
  countMemberships,
  deleteInvitation,
  deleteMembership,
  findInvitationRole,
  findMembershipRole,
  type InvitationRecord,
  insertMembership,
  listInvitations,
  listMembers,
  lockMemberships,
  type MemberRecord,
  updateMembershipRole,
  upsertInvitation,
} from './memberships.js';
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
  type ClientCreation,
  type ClientOrganization,
  createClientOrganization,
  createOrganization,
  ensureOrganization,
  getOrganization,
  getOrganizationById,
  listClientOrganizations,
  listOrganizations,
  type Organization,
  organizationFamily,
  setMemberStorageQuota,
  setStorageQuota,
} from './organizations.js';
export { createPool, flushStatementTimings, type Queryable } from './pool.js';
export {
  deleteAbandonedFile,
  findFileSha256,
  listProcessingFiles,
  type ProcessingFile,
} from './recovery.js';
export {
  insertRejectedRows,
  listRejectedRows,
  listRejectedRowsPage,
  type RejectedRowRecord,
} from './rejected-rows.js';
export {
  currentMember,
  enterTenant,
  inTenantTransaction,
  inTenantTransactionUncoerced,
  type MemberContext,
  runAsMember,
  type TenantOptions,
  withAppRole,
  withTenant,
  withTransaction,
} from './tenant-context.js';
export { chargeStorage, reserveStorage, type StorageUsage, storageUsage } from './usage.js';
export {
  ensureUserAsOperator,
  ensureUserByExternalId,
  findUserAccess,
  findUserAsOperator,
  getOwnUser,
  getUser,
  listUserOrganizations,
  type SignInClaims,
  signIn,
  type UserAccess,
  type UserOrganization,
  type UserRecord,
} from './users.js';
