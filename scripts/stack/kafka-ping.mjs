// Exit 0 when the broker answers a metadata request (used by scripts/stack.sh as a health probe).
// Usage: kafka-ping.mjs host:port [--ssl-ca FILE --sasl MECHANISM --username USER --password-env VAR]
// (the password is read from the named environment variable: argv is visible to every user in ps).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'ssl-ca': { type: 'string' },
    sasl: { type: 'string' },
    username: { type: 'string' },
    'password-env': { type: 'string' },
  },
});
const kafka = new Kafka({
  brokers: [positionals[0] ?? '127.0.0.1:9092'],
  logLevel: logLevel.NOTHING,
  retry: { retries: 0 },
  ...(values['ssl-ca'] ? { ssl: { ca: [readFileSync(values['ssl-ca'], 'utf8')], servername: 'localhost' } } : {}),
  ...(values.sasl
    ? {
        sasl: {
          mechanism: values.sasl,
          username: values.username ?? '',
          password: process.env[values['password-env'] ?? ''] ?? '',
        },
      }
    : {}),
});
const admin = kafka.admin();
try {
  await admin.connect();
  await admin.describeCluster();
  process.exit(0);
} catch {
  process.exit(1);
} finally {
  await admin.disconnect().catch(() => {});
}
