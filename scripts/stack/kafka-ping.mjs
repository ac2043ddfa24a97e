// Exit 0 when the broker answers a metadata request (used by scripts/stack.sh as a health probe).
import { Kafka, logLevel } from 'kafkajs';

const kafka = new Kafka({
  brokers: [process.argv[2] ?? '127.0.0.1:9092'],
  logLevel: logLevel.NOTHING,
  retry: { retries: 0 },
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
