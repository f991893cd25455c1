/** Process exit codes; documented in README.md ("Exit codes"). Scripts depend on them: never renumber. */
export const ExitCode = {
  OK: 0,
  CONFIG_INVALID: 1,
  USAGE: 2,
  HOSTS_FAILED: 3,
  HOSTS_UNREACHABLE: 4,
  INTERNAL: 70,
  /** The run succeeded but its standard output could not be written (closed pipe, full disk). */
  OUTPUT_FAILED: 74,
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
