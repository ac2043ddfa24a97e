import { hash3, isoAsset, isoZ, unit } from './hash.ts';

const DAY = 86400_000;
const CHANNELS = [
  { type: 'program', channel: 'Webinar' },
  { type: 'event', channel: 'Tradeshow' },
  { type: 'email', channel: 'Email Send' },
  { type: 'engagement', channel: 'Nurture' },
  { type: 'program', channel: 'Content' },
];
const TOPICS = ['Attribution 101', 'Q3 Launch', 'ABM Playbook', 'Pipeline Summit', 'Onboarding', 'Win-back'];

/** A program or smart campaign with its history: visible from createdAt, updatedAt moves at `updates`. */
export interface AssetBase {
  id: number;
  name: string;
  createdAt: number;
  /** Update instants, ascending. */
  updates: number[];
}

/** A program of the simulated instance. */
export interface ProgramAsset extends AssetBase {
  type: string;
  channel: string;
  folderId: number;
}

/** A smart campaign (also served by the legacy campaigns.json). */
export interface CampaignAsset extends AssetBase {
  parentProgramId: number;
  programName: string;
  trigger: boolean;
  active: boolean;
}

/** An email asset (primary attribute of email activities). */
export interface EmailAsset {
  id: number;
  name: string;
}

function history(seed: number, id: number, createdAt: number, end: number): number[] {
  const n = hash3(seed, id, 8001) % 4;
  const out: number[] = [];
  for (let u = 0; u < n; u++) {
    const t = createdAt + Math.floor((unit(hash3(seed, id, 8010 + u)) * Math.max(0, end - createdAt)) / 1000) * 1000;
    if (t > createdAt) out.push(t);
  }
  return out.sort((a, b) => a - b);
}

/** updatedAt of an asset as of `now` (the latest update not after now, or createdAt). */
export function updatedAtAsOf(a: AssetBase, now: number): number {
  let u = a.createdAt;
  for (const t of a.updates) if (t <= now) u = t;
  return u;
}

/** Deterministic programs, smart campaigns and emails for a seed; created over [start-180d, end]. */
export function buildAssets(seed: number, programs: number, campaigns: number, start: number, end: number) {
  const from = start - 180 * DAY;
  const progs: ProgramAsset[] = [];
  for (let j = 0; j < programs; j++) {
    const id = 1001 + j;
    const c = CHANNELS[hash3(seed, id, 8100) % CHANNELS.length]!;
    const createdAt = Math.floor((from + ((j + 0.5) / programs) * (end - from)) / 1000) * 1000;
    const year = new Date(createdAt).getUTCFullYear();
    progs.push({
      id,
      name: `${year} ${c.channel} - ${TOPICS[hash3(seed, id, 8101) % TOPICS.length]} ${j + 1}`,
      createdAt,
      updates: history(seed, id, createdAt, end),
      type: c.type,
      channel: c.channel,
      folderId: 20 + (hash3(seed, id, 8102) % 5),
    });
  }
  const camps: CampaignAsset[] = [];
  for (let j = 0; j < campaigns; j++) {
    const id = 2001 + j;
    const parent = progs[Math.floor((j * programs) / Math.max(1, campaigns))]!;
    const createdAt = parent.createdAt + (hash3(seed, id, 8200) % 7) * 3600_000;
    const trigger = hash3(seed, id, 8201) % 3 === 0;
    camps.push({
      id,
      name: `${trigger ? 'Trigger' : 'Batch'} - ${parent.name.split(' - ')[1] ?? parent.name} ${j + 1}`,
      createdAt,
      updates: history(seed, id, createdAt, end),
      parentProgramId: parent.id,
      programName: parent.name,
      trigger,
      active: hash3(seed, id, 8202) % 4 !== 0,
    });
  }
  const emails: EmailAsset[] = [];
  for (let j = 0; j < 60; j++) emails.push({ id: 5001 + j, name: `${progs[j % programs]!.name}.Email ${j + 1}` });
  return { programs: progs, campaigns: camps, emails };
}

/** The programs.json record of `p` at `now`. */
export function programRecord(p: ProgramAsset, now: number): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    description: `${p.channel} program`,
    createdAt: isoAsset(p.createdAt),
    updatedAt: isoAsset(updatedAtAsOf(p, now)),
    url: `https://app-sj01.marketo.com/#PG${p.id}A1`,
    type: p.type,
    channel: p.channel,
    folder: { type: 'Folder', value: p.folderId, folderName: 'Marketing Activities' },
    status: p.type === 'engagement' ? 'on' : p.type === 'email' ? 'unlocked' : '',
    workspace: 'Default',
    headStart: false,
    tags: [],
    costs: null,
  };
}

/** The smartCampaigns.json record of `c` at `now`. */
export function smartCampaignRecord(c: CampaignAsset, now: number): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    description: '',
    createdAt: isoAsset(c.createdAt),
    updatedAt: isoAsset(updatedAtAsOf(c, now)),
    folder: { type: 'Program', id: c.parentProgramId },
    status: c.active ? 'Active' : 'Inactive',
    type: c.trigger ? 'trigger' : 'batch',
    isSystem: false,
    isActive: c.active,
    isRequestable: c.trigger,
    isCommunicationLimitEnabled: false,
    recurrence: { weekdayOnly: false },
    qualificationRuleType: 'once',
    workspace: 'Default',
    smartListId: c.id + 10000,
    flowId: c.id + 20000,
    parentProgramId: c.parentProgramId,
    computedUrl: `https://app-sj01.marketo.com/#SC${c.id}A1`,
  };
}

/** The legacy campaigns.json record of `c` at `now`. */
export function legacyCampaignRecord(c: CampaignAsset, now: number): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    description: '',
    type: c.trigger ? 'trigger' : 'batch',
    programId: c.parentProgramId,
    programName: c.programName,
    workspaceName: 'Default',
    createdAt: isoZ(c.createdAt),
    updatedAt: isoZ(updatedAtAsOf(c, now)),
    active: c.active,
  };
}
