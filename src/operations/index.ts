export { type BackupOptions, createBackup } from './backup.js';
export { type BackupManifest, readBackupManifest } from './backup-manifest.js';
export {
  type CheckStatus,
  DOCTOR_THRESHOLDS,
  type DoctorCheck,
  type DoctorOptions,
  runDoctor,
} from './doctor.js';
export { type RestoreOptions, type RestoreResult, restoreBackup } from './restore.js';
