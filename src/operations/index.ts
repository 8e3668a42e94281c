export { type BackupOptions, createBackup } from './backup.js';
export { type BackupManifest, readBackupManifest } from './backup-manifest.js';
export { type RestoreOptions, type RestoreResult, restoreBackup } from './restore.js';
