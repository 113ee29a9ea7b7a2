import { AssignerProtocol, type GroupMemberAssignment, type IMemberAssignment, type PartitionAssigner } from 'kafkajs';

/**
 * The strategy name members announce when joining: the broker refuses a member whose strategies
 * share none with the group's, so an exclusive group cannot be joined by a round-robin member.
 */
const EXCLUSIVE_ASSIGNER_NAME = 'platform-exclusive';
const PROTOCOL_VERSION = 1;

/** What a member tells the group's leader at every join, in its subscription's userData. */
export interface ExclusiveClaim {
  /**
   * The member id under which this consumer was last assigned partitions, while it still has them.
   * The leader honours it only if it is the member's current id: a member the group dropped
   * (session expired, crash restart) rejoins under a new id, so its stale claim cannot win.
   */
  readonly heldAs: string | null;
  /** When this consumer first joined (epoch ms): when no one holds the partitions, the earliest gets them. */
  readonly waitingSince: number;
}

export interface ExclusiveCandidate {
  readonly memberId: string;
  /** Undefined when the member's userData could not be read: it is served last and never as a holder. */
  readonly claim: ExclusiveClaim | undefined;
}

function waitingSince({ claim }: ExclusiveCandidate): number {
  return claim?.waitingSince ?? Number.POSITIVE_INFINITY;
}

/**
 * The member that gets every partition: the current holder if there is one, else the one that has
 * waited longest (ties by member id, so every leader decides alike). Undefined for no members.
 * Two valid holders cannot arise from this assigner; should they, the longest-waiting one keeps them.
 */
export function chooseExclusiveHolder(members: readonly ExclusiveCandidate[]): string | undefined {
  const holders = members.filter(({ memberId, claim }) => claim?.heldAs === memberId);
  const candidates = holders.length > 0 ? holders : members;
  const [first] = [...candidates].sort(
    (a, b) => waitingSince(a) - waitingSince(b) || (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0),
  );
  return first?.memberId;
}

function encodeClaim(claim: ExclusiveClaim): Buffer {
  return Buffer.from(JSON.stringify(claim), 'utf8');
}

/** Undefined for anything but a claim this assigner wrote. */
function decodeClaim(memberMetadata: Buffer): ExclusiveClaim | undefined {
  try {
    const metadata = AssignerProtocol.MemberMetadata.decode(memberMetadata);
    if (metadata?.version !== PROTOCOL_VERSION) return undefined;
    const { heldAs, waitingSince: since } = JSON.parse(metadata.userData.toString('utf8')) as Record<string, unknown>;
    if ((heldAs !== null && typeof heldAs !== 'string') || typeof since !== 'number') return undefined;
    return { heldAs, waitingSince: since };
  } catch {
    return undefined;
  }
}

/**
 * One consumer's side of the exclusive assignment: the claim it sends at each join, kept up to date
 * from its own joins, and the assigner kafkajs runs when this member leads the group. kafkajs's own
 * assigners rebalance from scratch at every join, so a newcomer could take the partitions from a
 * member mid-run; here the holder's claim keeps them where they are.
 */
export class ExclusiveAssignment {
  private firstJoinAt: number | undefined;
  private heldAs: string | null = null;

  constructor(private readonly clock: () => number = Date.now) {}

  readonly assigner: PartitionAssigner = ({ cluster }) => ({
    name: EXCLUSIVE_ASSIGNER_NAME,
    version: PROTOCOL_VERSION,
    protocol: ({ topics }) => {
      this.firstJoinAt ??= this.clock();
      const userData = encodeClaim({ heldAs: this.heldAs, waitingSince: this.firstJoinAt });
      return {
        name: EXCLUSIVE_ASSIGNER_NAME,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: PROTOCOL_VERSION, topics, userData }),
      };
    },
    assign: ({ members, topics }) => {
      const holder = chooseExclusiveHolder(
        members.map(({ memberId, memberMetadata }) => ({ memberId, claim: decodeClaim(memberMetadata) })),
      );
      const everything = Object.fromEntries(
        topics.map((topic) => [
          topic,
          cluster
            .findTopicPartitionMetadata(topic)
            .map(({ partitionId }) => partitionId)
            .sort((a, b) => a - b),
        ]),
      );
      const assignments: GroupMemberAssignment[] = members.map(({ memberId }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: PROTOCOL_VERSION,
          assignment: memberId === holder ? everything : {},
          userData: Buffer.alloc(0),
        }),
      }));
      return Promise.resolve(assignments);
    },
  });

  /** Call on each of this consumer's joins: what it was just assigned is what it claims at the next. */
  recordJoin(memberId: string, assignment: IMemberAssignment): void {
    const holds = Object.values(assignment).some((partitions) => partitions.length > 0);
    this.heldAs = holds ? memberId : null;
  }
}
