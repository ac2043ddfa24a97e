/**
 * The activity types a connection tracks when it names none (`activityTypes`, matched by name).
 * The list is the 20 types HockeyStack's Marketo integration tracks (the reference product this
 * service was built after, see the design notes): email, form, sales-email, content and program
 * membership activity, which together describe a lead's journey.
 */
export const DEFAULT_TRACKED_ACTIVITY_TYPES: readonly string[] = Object.freeze([
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
