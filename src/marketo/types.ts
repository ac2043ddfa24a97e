/**
 * Marketo's wire shapes, as the REST API sends them (see shared/marketo-api.md). Dates are the raw
 * strings Marketo sends; normalise them with `parseMarketoDate`. Optional fields may be absent.
 */

/** A decoded, successful Marketo response. */
export interface MarketoResponse<T> {
  /** The records; an empty array when Marketo omitted the key (empty pages, end of asset results). */
  result: T[];
  moreResult?: boolean;
  nextPageToken?: string;
  /** Asset API warning strings, or the messages of lead-database warnings. */
  warnings: string[];
  requestId?: string;
  /** The parsed body as received. */
  raw: Record<string, unknown>;
}

/** The part of the quota the client needs (`Quota` from src/quota fits). */
export interface QuotaGate {
  reserve(endpoint: string, signal?: AbortSignal): Promise<QuotaReservation>;
  /** Marks the quota day `date` (the call's reservation's) spent after Marketo's 607, and says when calls may resume. */
  exhaust(date?: string): Promise<QuotaPause>;
}

/** Until when a spent quota pauses calls (see src/quota `Quota.exhaust`). */
export interface QuotaPause {
  /** The instant (epoch ms) calls may resume: the next probe for Marketo's reset. */
  resetAt: number;
  /** How long from now until then. */
  retryAfterMs: number;
}

/** One reserved call (see src/quota `Reservation`). */
export interface QuotaReservation {
  /** The quota day (YYYY-MM-DD) the call was reserved on. */
  readonly date?: string;
  release(outcome: { counted: boolean; marketoCode?: string }): Promise<void>;
}

/** `activities/types.json` entry. Custom types add `apiName`. */
export interface MarketoActivityType {
  id: number;
  name: string;
  description?: string;
  apiName?: string;
  primaryAttribute?: { name: string; dataType: string; apiName?: string };
  attributes?: { name: string; dataType: string; apiName?: string }[];
}

/** One attribute of an activity; values are mixed JSON types. */
export interface MarketoActivityAttribute {
  name: string;
  value: unknown;
  apiName?: string;
}

/**
 * `activities.json` record. `marketoGUID` is its identity (`id` may be absent or non-unique on
 * migrated instances). `activityDate` looks like `2023-01-16T23:32:19Z`.
 */
export interface MarketoActivity {
  id?: number;
  marketoGUID: string;
  leadId: number;
  activityDate: string;
  activityTypeId: number;
  campaignId?: number;
  primaryAttributeValueId?: number;
  primaryAttributeValue?: string;
  attributes?: MarketoActivityAttribute[];
}

/** `leadchanges.json` record (types 12 New Lead, 13 Change Data Value); dates end in `+0000`. */
export interface MarketoLeadChange extends MarketoActivity {
  fields?: { id: number; name: string; newValue?: unknown; oldValue?: unknown }[];
}

/** `deletedleads.json` record (type 37); dates end in `+0000`. */
export type MarketoDeletedLead = MarketoActivity;

/** A lead: `id` plus the requested fields by REST name; null-valued fields are omitted. */
export interface MarketoLead {
  id: number;
  [field: string]: unknown;
}

/** A field of `leads/describe2.json`. */
export interface MarketoLeadField {
  name: string;
  displayName?: string;
  dataType: string;
  length?: number;
  updateable?: boolean;
  crmManaged?: boolean;
}

/** `leads/describe2.json` result entry. */
export interface MarketoLeadDescription {
  name: string;
  searchableFields?: string[][];
  fields: MarketoLeadField[];
}

/** Asset API folder reference. */
export interface MarketoFolder {
  type: string;
  value: number;
  folderName?: string;
}

/** `asset/v1/programs.json` record; dates look like `2015-05-21T22:45:13Z+0000`. */
export interface MarketoProgram {
  id: number;
  name: string;
  description?: string;
  createdAt: string;
  updatedAt: string;
  url?: string;
  type?: string;
  channel?: string;
  folder?: MarketoFolder;
  status?: string;
  workspace?: string;
  headStart?: boolean;
  sfdcId?: string;
  sfdcName?: string;
  [k: string]: unknown;
}

/** `asset/v1/smartCampaigns.json` record; dates look like `2015-05-21T22:45:13Z+0000`. */
export interface MarketoSmartCampaign {
  id: number;
  name: string;
  description?: string;
  createdAt: string;
  updatedAt: string;
  status?: string;
  type?: string;
  isSystem?: boolean;
  isActive?: boolean;
  isRequestable?: boolean;
  isCommunicationLimitEnabled?: boolean;
  recurrence?: Record<string, unknown>;
  qualificationRuleType?: string;
  workspace?: string;
  smartListId?: number;
  flowId?: number;
  parentProgramId?: number;
  folder?: MarketoFolder;
  computedUrl?: string;
  [k: string]: unknown;
}

/** One day of `stats/usage.json`: Marketo's own count of the instance's calls. */
export interface MarketoUsage {
  date: string;
  total: number;
  users: { userId: string; count: number }[];
}
