import type { FastifyReply } from 'fastify';
import type { UploadAdmissionConfig } from '../config.js';
import { IngestError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { formatBytes } from '../units.js';

/** Who an upload is for: the organization and API key its caps are counted against. */
export interface UploadOwner {
  organizationId: string;
  organizationSlug: string;
  /** The API key that sent the upload; without one, the signed-in user it counts against instead. */
  apiKeyId?: string | undefined;
  user?: { id: string } | undefined;
}

/** The credential an upload counts against for INGEST_MAX_UPLOADS_PER_KEY: its API key, or its user. */
function credentialOf(owner: UploadOwner): string {
  return owner.apiKeyId ?? `user:${owner.user?.id ?? 'unknown'}`;
}

/** What one organization's uploads in flight hold on this process. */
interface OrganizationHold {
  uploads: number;
  /** Body bytes received or declared, until each upload ends (its spool file is gone by then). */
  spoolBytes: number;
  /** Body bytes held against the quota while being received; the file row holds them once claimed. */
  quotaBytes: number;
}

/**
 * The uploads being received or processed by this process, each with the AbortController passed to
 * ingest() as its signal, and what they hold per organization and per API key:
 *
 * - a count, capped per organization and per key (429 TOO_MANY_UPLOADS with Retry-After);
 * - spool bytes, capped per organization (SPOOL_BUDGET_EXCEEDED), so stalled uploads of one tenant
 *   cannot fill the disk every tenant's uploads spool to;
 * - quota bytes while the body is received, so the quota is reserved from Content-Length (or as the
 *   bytes arrive) and uploads side by side cannot each pass the early check with the same room.
 *
 * Counted in this process only: several servers each enforce their own caps. The exact quota check is
 * still the serialized one in the database (reserveStorage when the file row is claimed, chargeStorage
 * before it is ready); the holds here refuse early, before the body is read or spooled.
 *
 * A client that disconnects aborts its own upload (the pipeline rolls back and removes the spool, the
 * file row and the object); shutdown aborts whatever outlives the grace period.
 */
export class InFlightUploads {
  private readonly active = new Set<InFlightUpload>();
  private readonly organizations = new Map<string, OrganizationHold>();
  private readonly keys = new Map<string, number>();

  constructor(readonly limits: UploadAdmissionConfig) {}

  get size(): number {
    return this.active.size;
  }

  /**
   * Tracks one upload, or throws TOO_MANY_UPLOADS when its organization or key has as many in flight as
   * allowed. Its signal aborts when the response closes before it was sent in full. Pair with end().
   */
  begin(reply: FastifyReply, owner: UploadOwner): InFlightUpload {
    const hold = this.organizations.get(owner.organizationId) ?? { uploads: 0, spoolBytes: 0, quotaBytes: 0 };
    const keyUploads = this.keys.get(credentialOf(owner)) ?? 0;
    if (hold.uploads >= this.limits.maxUploadsPerOrg || keyUploads >= this.limits.maxUploadsPerKey) {
      const byKey = keyUploads >= this.limits.maxUploadsPerKey;
      const cap = byKey ? this.limits.maxUploadsPerKey : this.limits.maxUploadsPerOrg;
      throw new IngestError(
        'TOO_MANY_UPLOADS',
        `${byKey ? 'this API key' : `organization ${owner.organizationSlug}`} already has ${cap} uploads ` +
          'in flight on this server; retry when one has finished',
        {
          organization: owner.organizationSlug,
          limit: cap,
          option: byKey ? 'INGEST_MAX_UPLOADS_PER_KEY' : 'INGEST_MAX_UPLOADS_PER_ORG',
          retryAfterSeconds: LIMITS.uploadRetryAfterSeconds,
        },
      );
    }
    hold.uploads++;
    this.organizations.set(owner.organizationId, hold);
    this.keys.set(credentialOf(owner), keyUploads + 1);
    const upload = new InFlightUpload(owner, hold, this.limits);
    this.active.add(upload);
    const { controller } = upload;
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished && !controller.signal.aborted) {
        controller.abort(new IngestError('CANCELLED', 'the client disconnected before the upload finished'));
      }
    });
    return upload;
  }

  /** Releases what the upload held; call once its ingest has ended (and removed its spool file). */
  end(upload: InFlightUpload): void {
    if (!this.active.delete(upload)) return;
    const { owner } = upload;
    const hold = upload.release();
    hold.uploads--;
    if (hold.uploads === 0) this.organizations.delete(owner.organizationId);
    const keyUploads = (this.keys.get(credentialOf(owner)) ?? 1) - 1;
    if (keyUploads === 0) this.keys.delete(credentialOf(owner));
    else this.keys.set(credentialOf(owner), keyUploads);
  }

  /** Aborts every upload still running, with SHUTTING_DOWN as the reason its client is told. */
  abortAll(): void {
    for (const { controller } of this.active) {
      if (!controller.signal.aborted) {
        controller.abort(new IngestError('SHUTTING_DOWN', 'the server is shutting down; retry the upload'));
      }
    }
  }
}

/** One upload in flight: its cancellation and the bytes it holds of its organization's budgets. */
export class InFlightUpload {
  readonly controller = new AbortController();
  private spoolBytes = 0;
  private quotaBytes = 0;
  /** Quota left when the upload began (null: no quota), shared with the organization's other uploads. */
  private quotaLeft: number | null = null;

  constructor(
    readonly owner: UploadOwner,
    private readonly hold: OrganizationHold,
    private readonly limits: UploadAdmissionConfig,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Sets the quota left as the database counted it at the upload's start; null when there is none. */
  setQuotaLeft(bytes: number | null): void {
    this.quotaLeft = bytes;
  }

  /**
   * Holds `bytes` of body (declared up front, or received so far) against the organization's quota left
   * and its spool budget, beside what its other uploads in flight hold. Throws QUOTA_EXCEEDED or
   * SPOOL_BUDGET_EXCEEDED, holding nothing more, when it does not fit. Holding less than before is a no-op.
   */
  holdBytes(bytes: number): void {
    const spoolMore = bytes - this.spoolBytes;
    const quotaMore = this.quotaLeft === null ? 0 : bytes - this.quotaBytes;
    if (spoolMore <= 0 && quotaMore <= 0) return;
    const slug = this.owner.organizationSlug;
    if (this.quotaLeft !== null && quotaMore > 0 && this.hold.quotaBytes + quotaMore > this.quotaLeft) {
      const left = Math.max(0, this.quotaLeft - (this.hold.quotaBytes - this.quotaBytes));
      throw new IngestError(
        'QUOTA_EXCEEDED',
        `the upload would exceed organization ${slug}'s storage quota: ${formatBytes(left)} left ` +
          'beside its other uploads in flight',
        { organization: slug, bytes, remainingBytes: left },
      );
    }
    const budget = this.limits.spoolBytesPerOrg;
    if (spoolMore > 0 && this.hold.spoolBytes + spoolMore > budget) {
      const alone = bytes > budget;
      throw new IngestError(
        'SPOOL_BUDGET_EXCEEDED',
        alone
          ? `the upload is larger than the ${formatBytes(budget)} of spool an organization may hold on this server`
          : `organization ${slug}'s uploads in flight hold ${formatBytes(this.hold.spoolBytes)} of its ` +
              `${formatBytes(budget)} spool budget on this server; retry when one has finished`,
        {
          organization: slug,
          bytes,
          option: 'INGEST_SPOOL_BYTES_PER_ORG',
          ...(!alone && { retryAfterSeconds: LIMITS.uploadRetryAfterSeconds }),
        },
      );
    }
    if (spoolMore > 0) {
      this.hold.spoolBytes += spoolMore;
      this.spoolBytes = bytes;
    }
    if (quotaMore > 0) {
      this.hold.quotaBytes += quotaMore;
      this.quotaBytes = bytes;
    }
  }

  /** The body is received: from here its file row holds its quota (reserveStorage), not this process. */
  received(): void {
    this.hold.quotaBytes -= this.quotaBytes;
    this.quotaBytes = 0;
    this.quotaLeft = null;
  }

  /** Gives back everything held; returns the organization's hold for the caller's bookkeeping. */
  release(): OrganizationHold {
    this.received();
    this.hold.spoolBytes -= this.spoolBytes;
    this.spoolBytes = 0;
    return this.hold;
  }
}
