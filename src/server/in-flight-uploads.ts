import type { FastifyReply } from 'fastify';
import { IngestError } from '../errors.js';

/**
 * The uploads being received or processed, each with the AbortController passed to ingest() as its
 * signal. A client that disconnects aborts its own upload (the pipeline rolls back and removes the
 * spool, the file row and the object); shutdown aborts whatever outlives the grace period.
 */
export class InFlightUploads {
  private readonly active = new Set<AbortController>();

  get size(): number {
    return this.active.size;
  }

  /** Tracks one upload; its signal aborts when the response closes before it was sent in full. */
  begin(reply: FastifyReply): AbortController {
    const controller = new AbortController();
    this.active.add(controller);
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished && !controller.signal.aborted) {
        controller.abort(new IngestError('CANCELLED', 'the client disconnected before the upload finished'));
      }
    });
    return controller;
  }

  end(controller: AbortController): void {
    this.active.delete(controller);
  }

  /** Aborts every upload still running, with SHUTTING_DOWN as the reason its client is told. */
  abortAll(): void {
    for (const controller of this.active) {
      if (!controller.signal.aborted) {
        controller.abort(new IngestError('SHUTTING_DOWN', 'the server is shutting down; retry the upload'));
      }
    }
  }
}
