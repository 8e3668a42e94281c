import { userInfo } from 'node:os';
import { loadConfig } from '../config.js';
import { findFileOrganizationId } from '../db/index.js';
import { IngestError } from '../errors.js';
import { openServices, type Services } from '../ingest/index.js';

/** Options every command accepts. */
export interface GlobalOptions {
  verbose?: boolean;
}

/** Who the activity log records for CLI actions. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Opens the configured services for one command and always closes them (stopping a transient database). */
export async function withServices<T>(
  fn: (services: Services) => Promise<T>,
  options: { threads?: number } = {},
): Promise<T> {
  const config = loadConfig();
  const services = await openServices(config, options);
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

/** The organization owning a file id (the operator's path: any organization), or FILE_NOT_FOUND. */
export async function fileOrganizationId(services: Services, fileId: string): Promise<string> {
  const organizationId = await findFileOrganizationId(services.pool, fileId);
  if (!organizationId) throw new IngestError('FILE_NOT_FOUND', `no file ${fileId}`, { fileId });
  return organizationId;
}
