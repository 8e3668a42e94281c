// Types every layer shares. This folder imports nothing (not even the base modules), so any folder may import it.

export type { ColumnType } from './column-type.js';
export {
  type Delimiter,
  type Dialect,
  type DialectOverrideName,
  type DialectOverrides,
  isPlainSyntax,
  type RecordSyntax,
  recordSyntaxOf,
  type SourceEncoding,
} from './dialect.js';
export type { FileStatus } from './file-status.js';
export type { MetricRow } from './metric-row.js';
export { ON_ERROR_POLICIES, type OnErrorPolicy } from './on-error-policy.js';
export {
  AGENCY_ROLE_CAP,
  agencyRoleInClient,
  isPermission,
  isRole,
  mayChangeMember,
  mayGrantRole,
  PERMISSION_MINIMUM_ROLE,
  PERMISSIONS,
  type Permission,
  permissionsOf,
  ROLE_TABLE,
  ROLES,
  type Role,
  type RoleTableRow,
  roleAllows,
  roleRank,
} from './roles.js';
