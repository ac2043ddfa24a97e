/** Marketo Bulk Extract: jobs, the file download, the activity and lead CSV readers, the export budget, job state. */
export {
  ACTIVITY_EXPORT_FIELDS,
  type ActivityCsvOptions,
  type ActivityCsvPage,
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
export { BYTES_PER_MB, ExportBudget, type ExportBudgetOptions, type ExportBudgetStatus } from './export-budget.ts';
export {
  BULK_PAGE_SIZE,
  type ExportCsvOptions,
  type ExportCsvPage,
  type RejectedRow,
  readExportCsv,
} from './export-csv.ts';
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
export { leadFromCells, readLeadCsv } from './lead-csv.ts';
export type { ExportJob, ExportKind, ExportStatus, ExportWindow } from './types.ts';
export {
  type BulkWindowDeps,
  type BulkWindowPage,
  type BulkWindowStep,
  readBulkLeadWindow,
  readBulkWindow,
} from './window-reader.ts';
