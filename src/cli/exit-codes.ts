/** Kept for code written against the old path; the exit codes live in src/exit-codes.ts (below every layer). */
export { ExitCode } from '../exit-codes.js';
