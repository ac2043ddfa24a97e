/** What Bulk Extract exports: `/bulk/v1/{kind}/export/…`. */
export type ExportKind = 'activities' | 'leads';

/**
 * A job's status as Marketo reports it. The documentation spells the cancelled state both
 * `Cancelled` (responses) and `Canceled` (lists); the client reports `Cancelled` for both.
 */
export type ExportStatus = 'Created' | 'Queued' | 'Processing' | 'Completed' | 'Failed' | 'Cancelled';

/** A job as create / enqueue / status / cancel / list return it (dates as Marketo wrote them). */
export interface ExportJob {
  exportId: string;
  status: ExportStatus;
  format?: string;
  createdAt?: string;
  queuedAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** Rows in the file (Completed only). */
  numberOfRecords?: number;
  /** Bytes in the file (Completed only): what the export budget is metered by. */
  fileSize?: number;
  /** `sha256:<hex>` of the file (Completed only). */
  fileChecksum?: string;
  /** Marketo's reason, when a job Failed. */
  errorMsg?: string;
}

/** A `createdAt` (or lead `updatedAt`) window: ISO-8601 instants without milliseconds, ≤ 31 days apart. */
export interface ExportWindow {
  startAt: string;
  endAt: string;
}
