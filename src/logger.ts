import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * The one root logger. Structured JSON to stderr (stdout belongs to --json output). Children carry
 * organizationId, fileId and stage. Never log secrets, API keys or row contents.
 */
export const logger: Logger = pino(
  {
    name: 'ingest',
    level: process.env.INGEST_LOG_LEVEL ?? 'warn',
    redact: {
      paths: [
        'key',
        'secret',
        'apiKey',
        'authorization',
        'headers.authorization',
        'req.headers.authorization',
        'password',
      ],
      censor: '[redacted]',
    },
  },
  pino.destination({ dest: 2, sync: true }),
);
