import { hash3, isoZ } from './hash.ts';

/**
 * The lead schema of the simulated instance: Marketo standard fields and custom fields of every
 * Marketo data type, with deterministic value generators. A field's value is a pure function of
 * (seed, leadId, field, version), where version counts the Change Data Value updates applied.
 */

/** Context a value generator receives. */
export interface ValueCtx {
  seed: number;
  leadId: number;
  version: number;
  createdAt: number;
  /** hash of (seed, leadId, field, version) */
  h: number;
}

/** One lead field. */
export interface LeadFieldDef {
  /** describe.json id */
  id: number;
  /** REST name (flat key in leads.json), e.g. `Foo__c`. */
  name: string;
  displayName: string;
  dataType: string;
  length?: number;
  updateable: boolean;
  crmManaged: boolean;
  /** Share of leads for which the value is null (and so omitted from leads.json). */
  nullRate: number;
  /** Whether Change Data Value updates touch this field. */
  changes: boolean;
  gen: (c: ValueCtx) => string | number | boolean | null;
}

const FIRST = [
  'Ava',
  'Ben',
  'Cara',
  'Dev',
  'Elif',
  'Femi',
  'Gus',
  'Hana',
  'Ivan',
  'June',
  'Kofi',
  'Lena',
  'Mateo',
  'Nora',
];
const LAST = [
  'Lopez',
  'Ng',
  'Smith',
  'Patel',
  'Okafor',
  'Muller',
  'Rossi',
  'Kim',
  'Silva',
  "O'Brien",
  'Novak',
  'Tanaka',
];
const COMPANIES = [
  'Acme Corp',
  'Globex',
  'Initech',
  'Umbrella',
  'Hooli',
  'Stark Industries',
  'Wayne Enterprises',
  'Soylent',
];
const TITLES = ['VP Marketing', 'Marketing Ops Manager', 'Demand Gen Lead', 'CMO', 'Growth Analyst', 'RevOps Director'];
const INDUSTRIES = ['SaaS', 'Fintech', 'Healthcare', 'Manufacturing', 'Retail', 'Education', 'Media'];
const CITIES = ['Chicago', 'Austin', 'Berlin', 'Toronto', 'London', 'São Paulo', 'Sydney'];
const STATES = ['IL', 'TX', 'BE', 'ON', 'LDN', 'SP', 'NSW'];
const COUNTRIES = ['United States', 'Germany', 'Canada', 'United Kingdom', 'Brazil', 'Australia'];
const SOURCES = ['Website', 'Webinar', 'Paid Search', 'List Import', 'Trade Show', 'Referral'];
const STATUSES = ['Open', 'Working', 'MQL', 'SQL', 'Nurture', 'Disqualified'];

const at = <T>(a: readonly T[], h: number): T => a[h % a.length]!;
const first = (c: ValueCtx) => at(FIRST, hash3(c.seed, c.leadId, 9001));
const last = (c: ValueCtx) => at(LAST, hash3(c.seed, c.leadId, 9002));

/** Every Marketo lead field data type; the simulated instance has a field of each. */
export const MARKETO_DATA_TYPES: readonly string[] = [
  'string',
  'text',
  'email',
  'phone',
  'url',
  'integer',
  'float',
  'currency',
  'percent',
  'score',
  'boolean',
  'date',
  'datetime',
  'reference',
];

/** Every lead field served over REST, in describe order. */
export const LEAD_FIELDS: readonly LeadFieldDef[] = [
  {
    id: 1,
    name: 'id',
    displayName: 'Id',
    dataType: 'integer',
    updateable: false,
    crmManaged: false,
    nullRate: 0,
    changes: false,
    gen: (c) => c.leadId,
  },
  {
    id: 2,
    name: 'email',
    displayName: 'Email Address',
    dataType: 'email',
    length: 255,
    updateable: true,
    crmManaged: false,
    nullRate: 0,
    changes: true,
    gen: (c) =>
      `${first(c)}.${last(c)}${c.version ? `+${c.version}` : ''}${c.leadId}@${at(COMPANIES, hash3(c.seed, c.leadId, 9003)).replace(/\W/g, '')}.example`
        .toLowerCase()
        .replace("'", ''),
  },
  {
    id: 3,
    name: 'firstName',
    displayName: 'First Name',
    dataType: 'string',
    length: 255,
    updateable: true,
    crmManaged: false,
    nullRate: 0.02,
    changes: false,
    gen: first,
  },
  {
    id: 4,
    name: 'lastName',
    displayName: 'Last Name',
    dataType: 'string',
    length: 255,
    updateable: true,
    crmManaged: false,
    nullRate: 0.02,
    changes: false,
    gen: last,
  },
  {
    id: 5,
    name: 'createdAt',
    displayName: 'Created At',
    dataType: 'datetime',
    updateable: false,
    crmManaged: false,
    nullRate: 0,
    changes: false,
    gen: (c) => isoZ(c.createdAt),
  },
  // updatedAt is computed by the world from the applied updates; the generator is never used.
  {
    id: 6,
    name: 'updatedAt',
    displayName: 'Updated At',
    dataType: 'datetime',
    updateable: false,
    crmManaged: false,
    nullRate: 0,
    changes: false,
    gen: () => null,
  },
  {
    id: 7,
    name: 'company',
    displayName: 'Company Name',
    dataType: 'string',
    length: 255,
    updateable: true,
    crmManaged: false,
    nullRate: 0.1,
    changes: true,
    gen: (c) => at(COMPANIES, c.h),
  },
  {
    id: 8,
    name: 'title',
    displayName: 'Job Title',
    dataType: 'string',
    length: 255,
    updateable: true,
    crmManaged: false,
    nullRate: 0.25,
    changes: true,
    gen: (c) => at(TITLES, c.h),
  },
  {
    id: 9,
    name: 'phone',
    displayName: 'Phone Number',
    dataType: 'phone',
    length: 255,
    updateable: true,
    crmManaged: false,
    nullRate: 0.4,
    changes: true,
    gen: (c) => `+1 312 555 ${String(c.h % 10000).padStart(4, '0')}`,
  },
  {
    id: 10,
    name: 'city',
    displayName: 'City',
    dataType: 'string',
    length: 255,
    updateable: true,
    crmManaged: false,
    nullRate: 0.3,
    changes: false,
    gen: (c) => at(CITIES, c.h),
  },
  {
    id: 11,
    name: 'state',
    displayName: 'State',
    dataType: 'string',
    length: 255,
    updateable: true,
    crmManaged: false,
    nullRate: 0.3,
    changes: false,
    gen: (c) => at(STATES, c.h),
  },
  {
    id: 12,
    name: 'country',
    displayName: 'Country',
    dataType: 'string',
    length: 255,
    updateable: true,
    crmManaged: false,
    nullRate: 0.2,
    changes: false,
    gen: (c) => at(COUNTRIES, c.h),
  },
  {
    id: 13,
    name: 'website',
    displayName: 'Website',
    dataType: 'url',
    length: 255,
    updateable: true,
    crmManaged: false,
    nullRate: 0.5,
    changes: false,
    gen: (c) => `https://www.${at(COMPANIES, c.h).replace(/\W/g, '').toLowerCase()}.example`,
  },
  {
    id: 14,
    name: 'numberOfEmployees',
    displayName: 'Num Employees',
    dataType: 'integer',
    updateable: true,
    crmManaged: false,
    nullRate: 0.4,
    changes: false,
    gen: (c) => 1 + (c.h % 20000),
  },
  {
    id: 15,
    name: 'annualRevenue',
    displayName: 'Annual Revenue',
    dataType: 'currency',
    updateable: true,
    crmManaged: false,
    nullRate: 0.5,
    changes: false,
    gen: (c) => (c.h % 5000) * 10000,
  },
  {
    id: 16,
    name: 'leadSource',
    displayName: 'Lead Source',
    dataType: 'string',
    length: 255,
    updateable: true,
    crmManaged: false,
    nullRate: 0.1,
    changes: false,
    gen: (c) => at(SOURCES, c.h),
  },
  {
    id: 17,
    name: 'leadStatus',
    displayName: 'Lead Status',
    dataType: 'string',
    length: 255,
    updateable: true,
    crmManaged: false,
    nullRate: 0.05,
    changes: true,
    gen: (c) => at(STATUSES, c.h),
  },
  {
    id: 18,
    name: 'unsubscribed',
    displayName: 'Unsubscribed',
    dataType: 'boolean',
    updateable: true,
    crmManaged: false,
    nullRate: 0,
    changes: false,
    gen: (c) => c.h % 20 === 0,
  },
  // Custom fields, one or more per Marketo data type.
  {
    id: 1001,
    name: 'industryVertical',
    displayName: 'Industry Vertical',
    dataType: 'string',
    length: 255,
    updateable: true,
    crmManaged: false,
    nullRate: 0.2,
    changes: true,
    gen: (c) => at(INDUSTRIES, c.h),
  },
  {
    id: 1002,
    name: 'Foo__c',
    displayName: 'Foo',
    dataType: 'string',
    length: 80,
    updateable: true,
    crmManaged: true,
    nullRate: 0.3,
    changes: true,
    gen: (c) => `foo-${c.h % 1000}`,
  },
  {
    id: 1003,
    name: 'notes__c',
    displayName: 'Notes',
    dataType: 'text',
    updateable: true,
    crmManaged: true,
    nullRate: 0.6,
    changes: false,
    gen: (c) => `Met at booth ${c.h % 90}.\nAsked about "pricing", API & SSO.`,
  },
  {
    id: 1004,
    name: 'secondaryEmail__c',
    displayName: 'Secondary Email',
    dataType: 'email',
    length: 255,
    updateable: true,
    crmManaged: false,
    nullRate: 0.7,
    changes: false,
    gen: (c) => `alt${c.leadId}@mail.example`,
  },
  {
    id: 1005,
    name: 'mobileDirect__c',
    displayName: 'Mobile Direct',
    dataType: 'phone',
    length: 255,
    updateable: true,
    crmManaged: false,
    nullRate: 0.6,
    changes: false,
    gen: (c) => `+44 7700 ${String(c.h % 1000000).padStart(6, '0')}`,
  },
  {
    id: 1006,
    name: 'linkedinProfile__c',
    displayName: 'LinkedIn Profile',
    dataType: 'url',
    length: 255,
    updateable: true,
    crmManaged: false,
    nullRate: 0.5,
    changes: false,
    gen: (c) => `https://www.linkedin.com/in/lead-${c.leadId}`,
  },
  {
    id: 1007,
    name: 'seatCount__c',
    displayName: 'Seat Count',
    dataType: 'integer',
    updateable: true,
    crmManaged: true,
    nullRate: 0.4,
    changes: false,
    gen: (c) => c.h % 500,
  },
  {
    id: 1008,
    name: 'engagementRatio__c',
    displayName: 'Engagement Ratio',
    dataType: 'float',
    updateable: true,
    crmManaged: false,
    nullRate: 0.3,
    changes: false,
    gen: (c) => Math.round((c.h % 100000) / 10) / 10000,
  },
  {
    id: 1009,
    name: 'dealSize__c',
    displayName: 'Deal Size',
    dataType: 'currency',
    updateable: true,
    crmManaged: true,
    nullRate: 0.5,
    changes: true,
    gen: (c) => (c.h % 100000) + 0.5,
  },
  {
    id: 1010,
    name: 'discountRate__c',
    displayName: 'Discount Rate',
    dataType: 'percent',
    updateable: true,
    crmManaged: false,
    nullRate: 0.5,
    changes: false,
    gen: (c) => c.h % 40,
  },
  {
    id: 1011,
    name: 'leadScore__c',
    displayName: 'Lead Score',
    dataType: 'score',
    updateable: true,
    crmManaged: false,
    nullRate: 0,
    changes: true,
    gen: (c) => c.h % 150,
  },
  {
    id: 1012,
    name: 'isCustomer__c',
    displayName: 'Is Customer',
    dataType: 'boolean',
    updateable: true,
    crmManaged: true,
    nullRate: 0,
    changes: true,
    gen: (c) => c.h % 5 === 0,
  },
  {
    id: 1013,
    name: 'lastDemoDate__c',
    displayName: 'Last Demo Date',
    dataType: 'date',
    updateable: true,
    crmManaged: false,
    nullRate: 0.6,
    changes: false,
    gen: (c) => isoZ(c.createdAt + (c.h % 60) * 86400_000).slice(0, 10),
  },
  {
    id: 1014,
    name: 'lastEngagedAt__c',
    displayName: 'Last Engaged At',
    dataType: 'datetime',
    updateable: true,
    crmManaged: false,
    nullRate: 0.2,
    changes: true,
    gen: (c) => isoZ(c.createdAt + (c.h % (90 * 86400)) * 1000),
  },
  {
    id: 1015,
    name: 'parentAccountId__c',
    displayName: 'Parent Account',
    dataType: 'reference',
    updateable: true,
    crmManaged: true,
    nullRate: 0.5,
    changes: false,
    gen: (c) => `001${String(c.h % 1e9).padStart(12, '0')}`,
  },
];

/** The default field set of leads.json without `fields`. */
export const DEFAULT_LEAD_FIELDS = ['id', 'email', 'updatedAt', 'createdAt', 'firstName', 'lastName'] as const;

/** Fields that Change Data Value updates can touch (index into LEAD_FIELDS). */
export const CHANGING_FIELD_INDEXES: readonly number[] = LEAD_FIELDS.flatMap((f, i) => (f.changes ? [i] : []));

const BY_NAME = new Map(LEAD_FIELDS.map((f, i) => [f.name, i]));

/** Index of a field by REST name, or -1. */
export function leadFieldIndex(name: string): number {
  return BY_NAME.get(name) ?? -1;
}

/** Value of field `index` for a lead at `version` (null when the lead has no value). */
export function leadFieldValue(
  seed: number,
  index: number,
  leadId: number,
  version: number,
  createdAt: number,
): string | number | boolean | null {
  const f = LEAD_FIELDS[index]!;
  const h = hash3(seed, leadId, index * 1024 + version);
  if (f.nullRate > 0 && hash3(seed, leadId, index * 1024 + version + 500_000) / 4294967296 < f.nullRate) return null;
  return f.gen({ seed, leadId, version, createdAt, h });
}

/** describe.json result (old form). Includes one SOAP-only field without `rest`, as real instances do. */
export function describeResult(): unknown[] {
  return [
    ...LEAD_FIELDS.map((f) => ({
      id: f.id,
      displayName: f.displayName,
      dataType: f.dataType,
      ...(f.length !== undefined ? { length: f.length } : {}),
      rest: { name: f.name, readOnly: !f.updateable },
      soap: { name: f.name.charAt(0).toUpperCase() + f.name.slice(1), readOnly: !f.updateable },
    })),
    {
      id: 2001,
      displayName: 'Lead Person Role',
      dataType: 'lead_function',
      soap: { name: 'LeadRole', readOnly: true },
    },
  ];
}

/** describe2.json result. */
export function describe2Result(): unknown[] {
  return [
    {
      name: 'API Lead',
      searchableFields: [['email'], ['id'], ['sfdcLeadId'], ['Foo__c']],
      fields: LEAD_FIELDS.map((f) => ({
        name: f.name,
        displayName: f.displayName,
        dataType: f.dataType,
        ...(f.length !== undefined ? { length: f.length } : {}),
        updateable: f.updateable,
        crmManaged: f.crmManaged,
      })),
    },
  ];
}
