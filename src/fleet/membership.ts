import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../log.ts';
import { connectionAssigner, decodeAssignment } from './assigner.ts';

/** The longest wait between two reads of an assignment that failed. */
const ASSIGNMENT_RETRY_MAX_MS = 5_000;

/** Options of {@link FleetMembership}. */
export interface MembershipOptions {
  kafka: Kafka;
  /** The consumer group of the fleet's workers. */
  groupId: string;
  /** The connections topic: what the group subscribes to (nobody consumes it through the group). */
  topic: string;
  /** A worker silent this long is dropped from the group and its connections move. */
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** The connection ids to assign (read on the leader at each rebalance). */
  connections: () => readonly string[];
  /** The connections this worker runs (announced at each join, so they stay here). */
  owned: () => readonly string[];
  /** Called with this worker's connection ids after each rebalance. */
  onAssignment: (connections: string[]) => void;
  logger: Logger;
}

/**
 * A worker's membership of the fleet: a kafkajs consumer in the fleet's group whose leader runs
 * the connection assigner. Kafka's group protocol decides who runs what: a worker that joins,
 * leaves or stops heartbeating (crash, SIGKILL, a partition from the brokers) triggers a
 * rebalance, and each member learns its connections from its assignment's userData.
 */
export class FleetMembership {
  #o: MembershipOptions;
  #log: Logger;
  #consumer: Consumer;
  #leader = false;
  #running = false;
  /** Joins so far: an assignment read for an older join is dropped. */
  #joins = 0;

  constructor(o: MembershipOptions) {
    this.#o = o;
    this.#log = o.logger.child({ component: 'fleet-membership', group: o.groupId });
    this.#consumer = o.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeoutMs,
      rebalanceTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      // With nothing to fetch, the consumer heartbeats once per wait: keep it at the heartbeat interval.
      maxWaitTimeInMs: o.heartbeatIntervalMs,
      allowAutoTopicCreation: false,
      partitionAssigners: [connectionAssigner({ connections: o.connections, owned: o.owned })],
    });
    this.#consumer.on(this.#consumer.events.GROUP_JOIN, ({ payload }) => {
      this.#leader = payload.isLeader;
      const join = ++this.#joins;
      void this.#readAssignmentRetrying(payload.memberId, join);
    });
  }

  /** This worker led the last rebalance (it assigns the connections at the next one). */
  get isLeader(): boolean {
    return this.#leader;
  }

  /** Joins the group; assignments arrive through `onAssignment`. */
  async start(): Promise<void> {
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: [this.#o.topic] });
    await this.#run();
  }

  async #run(): Promise<void> {
    this.#running = true;
    await this.#consumer.run({ autoCommit: false, eachBatch: async () => undefined });
  }

  /**
   * Leaves and re-joins the group, so the leader assigns the connections afresh (kafkajs has no
   * call to request a rebalance). Connections keep running meanwhile: the announced `owned` set
   * keeps them here unless the balance moves them.
   */
  async rejoin(): Promise<void> {
    if (!this.#running) return;
    this.#log.info('connections changed; re-joining the group so they are assigned afresh');
    await this.#consumer.stop();
    await this.#run();
  }

  /** Leaves the group (its connections move at once) and disconnects. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#consumer.disconnect();
  }

  /**
   * Reads this member's assignment, again after a failure (a busy broker or worker: the admin
   * client's connection timed out), until it is read or a newer join makes it moot. Without the
   * retries a worker that failed once would run none of its new connections until the next
   * rebalance, which may never come.
   */
  async #readAssignmentRetrying(memberId: string, join: number): Promise<void> {
    for (let attempt = 1; join === this.#joins && this.#running; attempt++) {
      try {
        await this.#readAssignment(memberId, join);
        return;
      } catch (err) {
        this.#log.warn({ err, attempt }, 'could not read this worker’s assignment; trying again');
        await new Promise((resolve) => setTimeout(resolve, Math.min(ASSIGNMENT_RETRY_MAX_MS, 500 * attempt)));
      }
    }
  }

  /** Kafka keeps each member's assignment: a member reads its own (kafkajs does not hand userData to it). */
  async #readAssignment(memberId: string, join: number): Promise<void> {
    const admin = this.#o.kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([this.#o.groupId]);
      const group = groups[0];
      const me = group?.members.find((m) => m.memberId === memberId);
      if (group?.state !== 'Stable' || !me) return; // another rebalance is under way
      const connections = decodeAssignment(me.memberAssignment);
      if (connections === undefined || join !== this.#joins) return;
      this.#log.info({ connections: connections.length, leader: this.#leader }, 'connections assigned');
      this.#o.onAssignment(connections);
    } finally {
      await admin.disconnect();
    }
  }
}
