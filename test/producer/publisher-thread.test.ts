import { describe, expect, it } from 'vitest';
import { ErrorCodes, MarketoStreamError } from '../../src/errors.ts';
import { isFenced } from '../../src/producer/publisher.ts';
import { fromWireError, toWireError } from '../../src/producer/publisher-thread.ts';

/** What crosses postMessage: structured clone keeps plain data only. */
const across = (err: unknown) => fromWireError(structuredClone(toWireError(err)));

describe('publisher thread errors', () => {
  it('come back as MarketoStreamError with their code, retriable flag and wait', () => {
    const back = across(new MarketoStreamError(ErrorCodes.FENCED, 'taken over', { retriable: false, retryAfterMs: 5 }));
    expect(back).toBeInstanceOf(MarketoStreamError);
    expect(back).toMatchObject({ code: ErrorCodes.FENCED, message: 'taken over', retriable: false, retryAfterMs: 5 });
  });

  it("keep a kafkajs error's name, type and retriable flag, so retry loops and fencing checks still work", () => {
    const kafkajsLike = Object.assign(new Error('This server does not host this topic-partition'), {
      name: 'KafkaJSProtocolError',
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
      retriable: true,
    });
    const back = across(kafkajsLike);
    expect(back).not.toBeInstanceOf(MarketoStreamError);
    expect(back).toMatchObject({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
    expect(back.stack).toBe(kafkajsLike.stack);
    expect(isFenced(across(Object.assign(new Error('fenced'), { type: 'PRODUCER_FENCED' })))).toBe(true);
  });

  it('turn a thrown non-Error into a message, and an unknown code into a plain Error', () => {
    expect(across('boom')).toMatchObject({ name: 'Error', message: 'boom' });
    const foreign = across(Object.assign(new Error('x'), { code: 'ECONNRESET' }));
    expect(foreign).not.toBeInstanceOf(MarketoStreamError);
    expect(foreign).toMatchObject({ message: 'x', code: 'ECONNRESET' });
  });
});
