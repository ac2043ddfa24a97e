/** The 20 activity types HockeyStack tracks; the default for `activityTypes` (matched by name). */
export const HOCKEYSTACK_ACTIVITY_TYPES: readonly string[] = Object.freeze([
  'New Lead',
  'Fill Out Form',
  'Click Link',
  'Click Email',
  'Send Email',
  'Email Bounced',
  'Open Email',
  'Email Bounced Soft',
  'Send Sales Email',
  'Open Sales Email',
  'Click Sales Email',
  'Receive Sales Email',
  'Sales Email Bounced',
  'Reply to Sales Email',
  'Document Interacted With',
  'Dialogue Goal Reached',
  'Share Content',
  'Click Shared Link',
  'Change Program Member Data',
  'Change Status in Progression',
]);

/** Lead fields pulled when a connection names none (Marketo's own default set). */
export const DEFAULT_LEAD_FIELDS: readonly string[] = Object.freeze([
  'id',
  'email',
  'firstName',
  'lastName',
  'createdAt',
  'updatedAt',
]);
