export { enqueueIngest, type IngestJobOptions } from './enqueue-ingest.js';
export { runIngestJob } from './ingest-job.js';
export { INGEST_QUEUE, INGEST_RETRIES, type IngestJobData, openJobQueue } from './job-queue.js';
export { type JobWorker, startJobWorker } from './run-worker.js';
export { type StagedUpload, stagedUploadKey, stageUpload } from './stage-upload.js';
