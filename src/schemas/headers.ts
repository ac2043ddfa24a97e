import type { IHeaders } from 'kafkajs';

/** CloudEvents Kafka protocol binding, binary mode: attribute header names. */
export const CE_SPECVERSION = 'ce_specversion';
/** Identity of the event within its source (e.g. the marketoGUID, the lead id). */
export const CE_ID = 'ce_id';
/** `/marketo/<instance>`. */
export const CE_SOURCE = 'ce_source';
/** Event type, e.g. `io.marketostream.activity`. */
export const CE_TYPE = 'ce_type';
/** When the event happened, RFC 3339. */
export const CE_TIME = 'ce_time';
/** Optional subject of the event within the source. */
export const CE_SUBJECT = 'ce_subject';
/** Media type of the value (binary mode maps `datacontenttype` to `content-type`). */
export const CONTENT_TYPE = 'content-type';
/** Header naming the stream a record came from (lets a restart rebuild one stream's look-back window). */
export const STREAM_HEADER = 'mkto_stream';

/** CloudEvents spec version written in every record. */
export const CE_SPECVERSION_VALUE = '1.0';
/** The value media type: Confluent-framed Avro. */
export const AVRO_CONTENT_TYPE = 'application/avro';

/** Event types (`ce_type`) per record kind. */
export const EventTypes = {
  activity: 'io.marketostream.activity',
  lead: 'io.marketostream.lead',
  program: 'io.marketostream.program',
  campaign: 'io.marketostream.campaign',
} as const;

/** The attributes of one event. */
export interface CloudEventAttributes {
  /** The Marketo identity of the record (marketoGUID, lead id, …). */
  id: string | number;
  /** The Marketo instance; becomes `ce_source: /marketo/<instance>`. */
  source: string;
  type: string;
  /** When the event happened: epoch ms, a Date, or an ISO string (passed through). */
  time: number | Date | string;
  subject?: string;
}

/** The source URI for a Marketo instance. */
export function cloudEventSource(instance: string): string {
  return `/marketo/${instance}`;
}

/**
 * kafkajs headers for one record in CloudEvents binary mode: specversion 1.0, id, source
 * (`/marketo/<instance>`), type, time (ISO 8601 UTC), optional subject, `content-type: application/avro`.
 */
export function cloudEventHeaders(attrs: CloudEventAttributes): IHeaders {
  const headers: IHeaders = {
    [CE_SPECVERSION]: CE_SPECVERSION_VALUE,
    [CE_ID]: String(attrs.id),
    [CE_SOURCE]: cloudEventSource(attrs.source),
    [CE_TYPE]: attrs.type,
    [CE_TIME]: typeof attrs.time === 'string' ? attrs.time : new Date(attrs.time).toISOString(),
    [CONTENT_TYPE]: AVRO_CONTENT_TYPE,
  };
  if (attrs.subject !== undefined) headers[CE_SUBJECT] = attrs.subject;
  return headers;
}

/**
 * The same headers as {@link cloudEventHeaders} for many records of one source and type, with
 * `extra` headers added to each. This runs for every record: the constant values are encoded once,
 * and every call returns the same Buffer objects for them (a packed page stores each once); id and
 * time are strings.
 */
export function cloudEventHeaderFactory(
  attrs: { source: string; type: string },
  extra: Record<string, string> = {},
): (id: string, time: number) => IHeaders {
  const specversion = Buffer.from(CE_SPECVERSION_VALUE);
  const source = Buffer.from(cloudEventSource(attrs.source));
  const type = Buffer.from(attrs.type);
  const contentType = Buffer.from(AVRO_CONTENT_TYPE);
  const constantExtra = Object.fromEntries(Object.entries(extra).map(([name, value]) => [name, Buffer.from(value)]));
  return (id, time) => ({
    [CE_SPECVERSION]: specversion,
    [CE_ID]: id,
    [CE_SOURCE]: source,
    [CE_TYPE]: type,
    [CE_TIME]: new Date(time).toISOString(),
    [CONTENT_TYPE]: contentType,
    ...constantExtra,
  });
}
