/** Runs in a piscina worker thread (a named export of chunk-worker.ts): one step of opening a file. */
import { detectTextFormat, headerStep } from '../chunker/index.js';
import { isIngestError } from '../errors.js';
import type { SniffReply, SniffTask } from './sniff-task.js';

export function sniff(task: SniffTask): SniffReply {
  const sample = Buffer.from(task.sample);
  try {
    if (task.kind === 'text-format') return { ok: true, format: detectTextFormat(sample, task.atEnd) };
    return { ok: true, step: headerStep(sample, task.atEnd, task.limits) };
  } catch (err) {
    if (!isIngestError(err)) throw err;
    return { ok: false, error: { code: err.code, message: err.message, context: err.context } };
  }
}
