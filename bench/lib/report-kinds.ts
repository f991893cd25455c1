/** The reports bench/report-worker.ts can write (none: only the synthetic results, the baseline). */
export const REPORT_KINDS = ['none', 'summary', 'summary-full', 'ndjson', 'junit', 'logs'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
