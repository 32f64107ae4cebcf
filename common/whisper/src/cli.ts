#!/usr/bin/env node
/**
 * numeter-whisper: command-line tool over the Whisper library (see cli-program.ts and
 * docs/whisper.md). Usage: numeter-whisper <create|update|fetch|info|dump|set-aggregation-method|
 * set-xff|merge|diff> ... [--now EPOCH]
 */
import { buildProgram } from './cli-program.js';

// Like the reference tools (SIGPIPE ignored): output cut short by `| head` is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
buildProgram().parse(process.argv);
