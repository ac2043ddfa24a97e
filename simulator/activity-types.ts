/**
 * The activity types of the simulated instance: Marketo's real ids where they are public, the
 * 20 types HockeyStack tracks plus untracked noise types. Ids 900–903 are the simulator's own
 * choice for types whose Marketo id varies per instance or is undocumented:
 *   900 Reply to Sales Email, 901 Document Interacted With, 902 Dialogue Goal Reached,
 *   903 Change Program Member Data.
 * Types 12 (New Lead), 13 (Change Data Value), 37 (Delete Lead) and 32 (Merge Leads) are not drawn
 * at random: the world emits them from lead creations, updates, deletions and merges so leads.json
 * stays consistent.
 */

/** A value generator: a pure function of a 32-bit hash, returning a JSON value. */
export type ValueGen = (h: number) => string | number | boolean;

/** Declaration of one attribute (or the primary attribute) of an activity type. */
export interface AttributeDef {
  name: string;
  dataType: string;
  gen: ValueGen;
  /** Share of activities where the attribute is empty and therefore omitted (0..1). */
  emptyRate?: number;
}

/** One activity type as served by types.json, plus how the world generates it. */
export interface ActivityTypeDef {
  id: number;
  name: string;
  description: string;
  primaryAttribute?: {
    name: string;
    dataType: string;
    asset: 'email' | 'program' | 'webpage' | 'form' | 'link' | 'value';
  };
  attributes: AttributeDef[];
  /** Relative frequency in the random stream; 0 for world-driven types (12, 13, 32, 37). */
  weight: number;
  /** One of the 20 types HockeyStack tracks. */
  tracked: boolean;
  /** Whether campaignId is usually present. */
  withCampaign: boolean;
}

const int =
  (min: number, max: number): ValueGen =>
  (h) =>
    min + (h % (max - min + 1));
const pick =
  (values: readonly (string | number | boolean)[]): ValueGen =>
  (h) =>
    values[h % values.length]!;
const bool: ValueGen = (h) => (h & 1) === 1;
const float =
  (min: number, max: number): ValueGen =>
  (h) =>
    Math.round((min + (h / 4294967296) * (max - min)) * 100) / 100;

const CLIENTS = ['Chrome', 'Firefox', 'Safari', 'Edge', 'Outlook', 'Apple Mail', 'Gmail'];
const PLATFORMS = ['Windows', 'Mac OS', 'iOS', 'Android', 'Linux'];
const DEVICES = ['Desktop', 'Mobile', 'Tablet'];
const SALES_PEOPLE = ['ava.lopez@example.com', 'ben.ng@example.com', 'cara.smith@example.com', 'dev.patel@example.com'];
const SUBJECTS = ['Quick question', 'Following up', 'Your trial', 'Meeting next week?', 'Pricing for your team'];
const PAGES = ['/pricing', '/product', '/blog/attribution-101', '/demo', '/customers', '/docs/getting-started'];
const LINKS = ['https://www.example.com/demo', 'https://www.example.com/pricing', 'https://www.example.com/ebook.pdf'];
const STATUSES = ['Member', 'Registered', 'Attended', 'No Show', 'Engaged', 'Influenced'];
const REASONS = ['Changed by smart campaign', 'Web form fillout', 'API update', 'Manual update'];
const BOUNCE_CATEGORIES = ['1', '2', '3', '4', '9'];
const BOUNCE_DETAILS = ['550 5.1.1 User unknown', '552 Mailbox full', '421 Try again later', 'DNS failure'];
const DOCS = ['Q3 Report.pdf', 'Case Study - Acme.pdf', 'Security Whitepaper.pdf', 'Product Deck.pptx'];
const GOALS = ['Book a meeting', 'Download ebook', 'Talk to sales', 'Start trial'];
const CONTENT = ['Attribution Guide', 'ROI Calculator', 'Webinar Replay', 'Buyer Checklist'];
const NETWORKS = ['LinkedIn', 'Twitter', 'Facebook', 'Email'];

const email = (extra: AttributeDef[] = []): AttributeDef[] => [
  { name: 'Campaign Run ID', dataType: 'integer', gen: int(1000, 99999) },
  { name: 'Choice Number', dataType: 'integer', gen: int(0, 4) },
  { name: 'Step ID', dataType: 'integer', gen: int(1, 40) },
  { name: 'Test Variant', dataType: 'integer', gen: int(0, 3), emptyRate: 0.5 },
  ...extra,
];
const engagement: AttributeDef[] = [
  { name: 'Device', dataType: 'string', gen: pick(DEVICES) },
  { name: 'Is Mobile Device', dataType: 'boolean', gen: bool },
  { name: 'Platform', dataType: 'string', gen: pick(PLATFORMS) },
  { name: 'User Agent', dataType: 'string', gen: pick(CLIENTS) },
  { name: 'Is Bot Activity', dataType: 'boolean', gen: (h) => h % 50 === 0 },
];
const sales = (extra: AttributeDef[] = []): AttributeDef[] => [
  { name: 'Sent By', dataType: 'string', gen: pick(SALES_PEOPLE) },
  { name: 'Source', dataType: 'string', gen: pick(['Sales Insight Actions', 'Gmail Plugin', 'Outlook Plugin']) },
  { name: 'Template ID', dataType: 'integer', gen: int(100, 999), emptyRate: 0.3 },
  { name: 'Email Subject', dataType: 'string', gen: pick(SUBJECTS) },
  { name: 'Marketo Sales Person ID', dataType: 'integer', gen: int(1, 40) },
  ...extra,
];

/** Every activity type of the simulated instance, in id order. */
export const ACTIVITY_TYPES: readonly ActivityTypeDef[] = [
  {
    id: 1,
    name: 'Visit Webpage',
    description: 'User visits a web page',
    primaryAttribute: { name: 'Webpage ID', dataType: 'integer', asset: 'webpage' },
    attributes: [
      { name: 'Webpage URL', dataType: 'string', gen: pick(PAGES) },
      {
        name: 'Query Parameters',
        dataType: 'string',
        gen: pick(['utm_source=google', 'utm_medium=email', 'ref=nav']),
        emptyRate: 0.6,
      },
      {
        name: 'Client IP Address',
        dataType: 'string',
        gen: (h) => `10.${h & 255}.${(h >>> 8) & 255}.${(h >>> 16) & 255}`,
      },
      {
        name: 'Referrer URL',
        dataType: 'string',
        gen: pick(['https://www.google.com/', 'https://www.linkedin.com/']),
        emptyRate: 0.4,
      },
      { name: 'User Agent', dataType: 'string', gen: pick(CLIENTS) },
    ],
    weight: 22,
    tracked: false,
    withCampaign: false,
  },
  {
    id: 2,
    name: 'Fill Out Form',
    description: 'User fills out and submits form on web page',
    primaryAttribute: { name: 'Webform ID', dataType: 'integer', asset: 'form' },
    attributes: [
      { name: 'Client IP Address', dataType: 'string', gen: (h) => `172.16.${h & 255}.${(h >>> 8) & 255}` },
      {
        name: 'Form Fields',
        dataType: 'text',
        gen: (h) => `a:2:{s:5:"Email";s:${h % 9}:"x";s:7:"Company";s:4:"Acme";}`,
      },
      { name: 'Webpage ID', dataType: 'integer', gen: int(1, 60) },
      { name: 'Query Parameters', dataType: 'string', gen: pick(['utm_campaign=q3', 'gclid=abc123']), emptyRate: 0.5 },
    ],
    weight: 4,
    tracked: true,
    withCampaign: false,
  },
  {
    id: 3,
    name: 'Click Link',
    description: 'User clicks link on a page',
    primaryAttribute: { name: 'Link ID', dataType: 'string', asset: 'link' },
    attributes: [
      { name: 'Webpage ID', dataType: 'integer', gen: int(1, 60) },
      { name: 'Referrer URL', dataType: 'string', gen: pick(PAGES), emptyRate: 0.3 },
      { name: 'User Agent', dataType: 'string', gen: pick(CLIENTS) },
    ],
    weight: 6,
    tracked: true,
    withCampaign: false,
  },
  {
    id: 6,
    name: 'Send Email',
    description: 'Send Marketo Email to a person',
    primaryAttribute: { name: 'Mail ID', dataType: 'integer', asset: 'email' },
    attributes: email(),
    weight: 18,
    tracked: true,
    withCampaign: true,
  },
  {
    id: 7,
    name: 'Email Delivered',
    description: 'Marketo Email is delivered to a person',
    primaryAttribute: { name: 'Mail ID', dataType: 'integer', asset: 'email' },
    attributes: email(),
    weight: 16,
    tracked: false,
    withCampaign: true,
  },
  {
    id: 8,
    name: 'Email Bounced',
    description: 'Marketo Email is bounced for a person',
    primaryAttribute: { name: 'Mail ID', dataType: 'integer', asset: 'email' },
    attributes: email([
      { name: 'Category', dataType: 'string', gen: pick(BOUNCE_CATEGORIES) },
      { name: 'Details', dataType: 'string', gen: pick(BOUNCE_DETAILS) },
      { name: 'Email', dataType: 'string', gen: (h) => `bounce${h % 10000}@example.org` },
    ]),
    weight: 1,
    tracked: true,
    withCampaign: true,
  },
  {
    id: 9,
    name: 'Unsubscribe Email',
    description: 'Person unsubscribes from Marketo Emails',
    primaryAttribute: { name: 'Mail ID', dataType: 'integer', asset: 'email' },
    attributes: email([
      { name: 'Client IP Address', dataType: 'string', gen: (h) => `10.0.${h & 255}.${(h >>> 8) & 255}` },
    ]),
    weight: 0.5,
    tracked: false,
    withCampaign: true,
  },
  {
    id: 10,
    name: 'Open Email',
    description: 'User opens Marketo Email',
    primaryAttribute: { name: 'Mail ID', dataType: 'integer', asset: 'email' },
    attributes: email(engagement),
    weight: 10,
    tracked: true,
    withCampaign: true,
  },
  {
    id: 11,
    name: 'Click Email',
    description: 'User clicks on a link in a Marketo Email',
    primaryAttribute: { name: 'Mail ID', dataType: 'integer', asset: 'email' },
    attributes: email([{ name: 'Link', dataType: 'string', gen: pick(LINKS) }, ...engagement]),
    weight: 4,
    tracked: true,
    withCampaign: true,
  },
  {
    id: 12,
    name: 'New Lead',
    description: 'New person/record is added to the lead database',
    attributes: [
      {
        name: 'Source Type',
        dataType: 'string',
        gen: pick(['Web form fillout', 'Salesforce.com', 'Manual', 'Web service API']),
      },
      { name: 'Lead Source', dataType: 'string', gen: pick(['Website', 'Webinar', 'Paid Search', 'List Import']) },
    ],
    weight: 0,
    tracked: true,
    withCampaign: false,
  },
  {
    id: 13,
    name: 'Change Data Value',
    description: 'Changed attribute value for a person',
    primaryAttribute: { name: 'Attribute Name', dataType: 'integer', asset: 'value' },
    attributes: [
      { name: 'New Value', dataType: 'string', gen: () => '' },
      { name: 'Old Value', dataType: 'string', gen: () => '' },
      { name: 'Reason', dataType: 'string', gen: pick(REASONS) },
      { name: 'Source', dataType: 'string', gen: pick(['Web service API', 'Smart campaign', 'Salesforce.com']) },
    ],
    weight: 0,
    tracked: false,
    withCampaign: false,
  },
  {
    id: 22,
    name: 'Change Score',
    description: 'Change a score value for a person',
    primaryAttribute: { name: 'Score Name', dataType: 'string', asset: 'value' },
    attributes: [
      { name: 'Change Value', dataType: 'string', gen: (h) => `+${1 + (h % 20)}` },
      { name: 'New Value', dataType: 'integer', gen: int(0, 200) },
      { name: 'Old Value', dataType: 'integer', gen: int(0, 200) },
      { name: 'Reason', dataType: 'string', gen: pick(REASONS) },
    ],
    weight: 6,
    tracked: false,
    withCampaign: true,
  },
  {
    id: 24,
    name: 'Add to List',
    description: 'Person is added to a list',
    primaryAttribute: { name: 'List ID', dataType: 'integer', asset: 'value' },
    attributes: [{ name: 'Source', dataType: 'string', gen: pick(['Smart campaign', 'List import']) }],
    weight: 3,
    tracked: false,
    withCampaign: true,
  },
  {
    id: 27,
    name: 'Email Bounced Soft',
    description: 'Marketo Email soft bounces',
    primaryAttribute: { name: 'Mail ID', dataType: 'integer', asset: 'email' },
    attributes: email([
      { name: 'Category', dataType: 'string', gen: pick(BOUNCE_CATEGORIES) },
      { name: 'Details', dataType: 'string', gen: pick(BOUNCE_DETAILS) },
    ]),
    weight: 1,
    tracked: true,
    withCampaign: true,
  },
  {
    id: 32,
    name: 'Merge Leads',
    description: 'Merge two or more people records',
    primaryAttribute: { name: 'Lead ID', dataType: 'integer', asset: 'value' },
    attributes: [
      // A JSON-array-looking string of the merged-away ids.
      { name: 'Merge IDs', dataType: 'string', gen: (h) => `[${1 + (h % 1000)}]` },
      { name: 'Merged in Sales', dataType: 'boolean', gen: bool },
      { name: 'Master Updated', dataType: 'boolean', gen: bool },
    ],
    weight: 0,
    tracked: false,
    withCampaign: false,
  },
  {
    id: 37,
    name: 'Delete Lead',
    description: 'Delete a person from the lead database',
    primaryAttribute: { name: 'Lead ID', dataType: 'integer', asset: 'value' },
    attributes: [{ name: 'Remove from CRM', dataType: 'boolean', gen: bool }],
    weight: 0,
    tracked: false,
    withCampaign: false,
  },
  {
    id: 39,
    name: 'Send Sales Email',
    description: 'Sales email sent to a person',
    primaryAttribute: { name: 'Artifact ID', dataType: 'integer', asset: 'value' },
    attributes: sales(),
    weight: 2,
    tracked: true,
    withCampaign: false,
  },
  {
    id: 40,
    name: 'Open Sales Email',
    description: 'Person opened a sales email',
    primaryAttribute: { name: 'Artifact ID', dataType: 'integer', asset: 'value' },
    attributes: sales([{ name: 'Is Mobile Device', dataType: 'boolean', gen: bool }]),
    weight: 1.5,
    tracked: true,
    withCampaign: false,
  },
  {
    id: 41,
    name: 'Click Sales Email',
    description: 'Person clicked a link in a sales email',
    primaryAttribute: { name: 'Artifact ID', dataType: 'integer', asset: 'value' },
    attributes: sales([{ name: 'Link', dataType: 'string', gen: pick(LINKS) }]),
    weight: 0.6,
    tracked: true,
    withCampaign: false,
  },
  {
    id: 45,
    name: 'Receive Sales Email',
    description: 'Person received a sales email',
    primaryAttribute: { name: 'Artifact ID', dataType: 'integer', asset: 'value' },
    attributes: sales(),
    weight: 1.8,
    tracked: true,
    withCampaign: false,
  },
  {
    id: 48,
    name: 'Sales Email Bounced',
    description: 'Sales email to a person bounced',
    primaryAttribute: { name: 'Artifact ID', dataType: 'integer', asset: 'value' },
    attributes: sales([{ name: 'Details', dataType: 'string', gen: pick(BOUNCE_DETAILS) }]),
    weight: 0.2,
    tracked: true,
    withCampaign: false,
  },
  {
    id: 104,
    name: 'Change Status in Progression',
    description: "Change a person's program status",
    primaryAttribute: { name: 'Program ID', dataType: 'integer', asset: 'program' },
    attributes: [
      { name: 'New Status ID', dataType: 'integer', gen: int(1, 60) },
      { name: 'Old Status ID', dataType: 'integer', gen: int(1, 60) },
      { name: 'New Status', dataType: 'string', gen: pick(STATUSES) },
      { name: 'Old Status', dataType: 'string', gen: pick(STATUSES), emptyRate: 0.3 },
      { name: 'Success', dataType: 'boolean', gen: bool },
      { name: 'Acquired By', dataType: 'boolean', gen: (h) => h % 7 === 0 },
      { name: 'Reason', dataType: 'string', gen: pick(REASONS) },
    ],
    weight: 3,
    tracked: true,
    withCampaign: true,
  },
  {
    id: 400,
    name: 'Share Content',
    description: 'Person shared content on a social network',
    primaryAttribute: { name: 'Social App ID', dataType: 'integer', asset: 'value' },
    attributes: [
      { name: 'Share Network', dataType: 'string', gen: pick(NETWORKS) },
      { name: 'Content Name', dataType: 'string', gen: pick(CONTENT) },
      { name: 'Reach', dataType: 'integer', gen: int(0, 5000) },
    ],
    weight: 0.3,
    tracked: true,
    withCampaign: false,
  },
  {
    id: 405,
    name: 'Click Shared Link',
    description: 'Person clicked a shared link',
    primaryAttribute: { name: 'Social App ID', dataType: 'integer', asset: 'value' },
    attributes: [
      { name: 'Share Network', dataType: 'string', gen: pick(NETWORKS) },
      { name: 'Shared Link', dataType: 'string', gen: pick(LINKS) },
    ],
    weight: 0.3,
    tracked: true,
    withCampaign: false,
  },
  {
    id: 900,
    name: 'Reply to Sales Email',
    description: 'Person replied to a sales email',
    primaryAttribute: { name: 'Artifact ID', dataType: 'integer', asset: 'value' },
    attributes: sales([{ name: 'Reply Sentiment Score', dataType: 'float', gen: float(-1, 1) }]),
    weight: 0.4,
    tracked: true,
    withCampaign: false,
  },
  {
    id: 901,
    name: 'Document Interacted With',
    description: 'Person viewed or downloaded a shared document',
    primaryAttribute: { name: 'Document Name', dataType: 'string', asset: 'value' },
    attributes: [
      { name: 'Document', dataType: 'string', gen: pick(DOCS) },
      { name: 'Pages Viewed', dataType: 'integer', gen: int(1, 30) },
      { name: 'Seconds Spent', dataType: 'float', gen: float(1, 900) },
      { name: 'Downloaded', dataType: 'boolean', gen: bool },
    ],
    weight: 0.4,
    tracked: true,
    withCampaign: false,
  },
  {
    id: 902,
    name: 'Dialogue Goal Reached',
    description: 'Person reached a goal in a Dynamic Chat dialogue',
    primaryAttribute: { name: 'Dialogue ID', dataType: 'integer', asset: 'value' },
    attributes: [
      { name: 'Goal Name', dataType: 'string', gen: pick(GOALS) },
      { name: 'Page URL', dataType: 'string', gen: pick(PAGES) },
      { name: 'Is Meeting Booked', dataType: 'boolean', gen: bool },
    ],
    weight: 0.3,
    tracked: true,
    withCampaign: false,
  },
  {
    id: 903,
    name: 'Change Program Member Data',
    description: "Change a person's program member custom field value",
    primaryAttribute: { name: 'Program ID', dataType: 'integer', asset: 'program' },
    attributes: [
      { name: 'Attribute Name', dataType: 'string', gen: pick(['attendanceMinutes', 'pollAnswer', 'tier']) },
      { name: 'New Value', dataType: 'string', gen: pick(['45', 'Yes', 'Gold', '12']) },
      { name: 'Old Value', dataType: 'string', gen: pick(['0', 'No', 'Silver']), emptyRate: 0.4 },
    ],
    weight: 1,
    tracked: true,
    withCampaign: true,
  },
];

/** The 20 type ids HockeyStack tracks. */
export const TRACKED_TYPE_IDS: readonly number[] = ACTIVITY_TYPES.filter((t) => t.tracked).map((t) => t.id);

/** Type definition by id (undefined when unknown). */
export function activityType(id: number): ActivityTypeDef | undefined {
  return ACTIVITY_TYPES.find((t) => t.id === id);
}

/** The types.json result: `[{id,name,description,primaryAttribute,attributes}]`. */
export function typesResult(): unknown[] {
  return ACTIVITY_TYPES.map((t) => ({
    id: t.id,
    name: t.name,
    description: t.description,
    ...(t.primaryAttribute
      ? { primaryAttribute: { name: t.primaryAttribute.name, dataType: t.primaryAttribute.dataType } }
      : {}),
    attributes: t.attributes.map((a) => ({ name: a.name, dataType: a.dataType })),
  }));
}
