/** Marketo Bulk Extract: jobs, the file download, the activity CSV reader, the export budget, job state. */
export {
  ACTIVITY_EXPORT_FIELDS,
  type ActivityCsvOptions,
  type ActivityCsvPage,
  BULK_PAGE_SIZE,
  type RejectedRow,
  readActivityCsv,
} from './activity-csv.ts';
export {
  BulkExtractClient,
  type BulkExtractClientOptions,
  isExportQuotaWait,
  pollDelay,
  type StatusListener,
} from './bulk-client.ts';
export { type DownloadOptions, downloadExportFile } from './download.ts';
export { ExportBudget, type ExportBudgetOptions, type ExportBudgetStatus } from './export-budget.ts';
export {
  type BulkJobAction,
  type BulkJobState,
  FILE_RETENTION_MS,
  MAX_RECREATIONS,
  newJobState,
  nextAction,
  recreated,
  withDone,
  withFileGone,
  withJob,
  withProgress,
} from './job-state.ts';
export type { ExportJob, ExportKind, ExportStatus, ExportWindow } from './types.ts';
export { type BulkWindowDeps, type BulkWindowPage, readBulkWindow } from './window-reader.ts';
