#!/usr/bin/env node
import { CommanderError } from 'commander';
import { isIngestError } from '../errors.js';
import { logger } from '../logger.js';
import { describeError, EXIT } from './output.js';
import { buildProgram } from './program.js';

/**
 * Entry point. SIGINT/SIGTERM abort the running ingest (its transaction rolls back, spool files are
 * removed) and the process exits 130; a second signal exits at once.
 */
async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    process.stderr.write(`\n${signal}: cancelling, rolling back...\n`);
    controller.abort(new Error(`received ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // Set by commands that decide their own exit code; `serve` sets 0 after a signal-driven graceful stop.
  let exitCode: number | undefined;
  const program = buildProgram(controller.signal, (code) => {
    exitCode = code;
  });
  program.exitOverride();
  const verbose = argv.includes('--verbose');
  // The CLI reports errors itself, one line each; structured logs are for --verbose or INGEST_LOG_LEVEL.
  if (!process.env.INGEST_LOG_LEVEL) logger.level = verbose ? 'info' : 'silent';
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`${describeError(err, verbose)}\n`);
    if (interrupted) return EXIT.interrupted;
    if (isIngestError(err) && err.code === 'INVALID_OPTION') return EXIT.usage;
    return EXIT.failed;
  }
  return exitCode ?? (interrupted ? EXIT.interrupted : EXIT.ok);
}

// A reader that stops early (`ingest export <id> | head`) closes the pipe: that ends the command quietly,
// as it does for other Unix tools, instead of an unhandled EPIPE with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.ok);
  throw err;
});

main(process.argv).then(
  (code) => {
    logger.flush();
    process.exitCode = code;
    // Worker threads and sockets are closed by now; exit explicitly in case a library left a timer.
    setImmediate(() => process.exit(code));
  },
  (err) => {
    process.stderr.write(`${describeError(err, true)}\n`);
    process.exit(EXIT.failed);
  },
);
