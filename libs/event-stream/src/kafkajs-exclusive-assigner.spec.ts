import { AssignerProtocol, type Cluster, type GroupMember, type Logger, type PartitionMetadata } from 'kafkajs';
import { chooseExclusiveHolder, type ExclusiveCandidate, ExclusiveAssignment } from './kafkajs-exclusive-assigner';

const member = (memberId: string, waitingSince: number, heldAs: string | null = null): ExclusiveCandidate => ({
  memberId,
  claim: { heldAs, waitingSince },
});

describe('chooseExclusiveHolder', () => {
  it('leaves the partitions with their holder, however long the others have waited', () => {
    const members = [member('newcomer', 1_000), member('holder', 5_000, 'holder'), member('other', 2_000)];

    expect(chooseExclusiveHolder(members)).toBe('holder');
  });

  it('gives them to the longest-waiting member when no one holds them', () => {
    expect(chooseExclusiveHolder([member('b', 3_000), member('a', 2_000), member('c', 4_000)])).toBe('a');
  });

  it('ignores a claim made under a member id the group no longer knows (a dropped holder rejoining)', () => {
    const members = [member('rejoined-as-new-id', 1_000, 'old-id'), member('waiting', 2_000)];

    expect(chooseExclusiveHolder(members)).toBe('rejoined-as-new-id'); // longest waiting, not holder
    expect(chooseExclusiveHolder([member('waiting', 500), ...members])).toBe('waiting');
  });

  it('breaks ties by member id, so any leader decides alike', () => {
    expect(chooseExclusiveHolder([member('m-2', 1_000), member('m-1', 1_000)])).toBe('m-1');
    expect(chooseExclusiveHolder([member('m-1', 1_000), member('m-2', 1_000)])).toBe('m-1');
  });

  it('serves a member whose claim could not be read last, and never as holder', () => {
    expect(chooseExclusiveHolder([{ memberId: 'a-unreadable', claim: undefined }, member('z', 9_000)])).toBe('z');
    expect(chooseExclusiveHolder([{ memberId: 'only', claim: undefined }])).toBe('only');
  });

  it('chooses no one in an empty group', () => {
    expect(chooseExclusiveHolder([])).toBeUndefined();
  });
});

describe('ExclusiveAssignment', () => {
  const partitions = (count: number): PartitionMetadata[] =>
    Array.from({ length: count }, (_, i) => ({
      partitionErrorCode: 0,
      partitionId: count - 1 - i,
      leader: 1,
      replicas: [1],
      isr: [1],
    }));
  // Only the partition lookup is used by the assigner.
  const cluster = { findTopicPartitionMetadata: () => partitions(3) } as unknown as Cluster;
  const logger = {} as Logger;

  function joinRequest(assignment: ExclusiveAssignment, memberId: string): GroupMember {
    const { metadata } = assignment.assigner({ cluster, groupId: 'g', logger }).protocol({ topics: ['control'] });
    return { memberId, memberMetadata: metadata };
  }

  async function assign(leader: ExclusiveAssignment, members: GroupMember[]): Promise<Record<string, unknown>> {
    const result = await leader.assigner({ cluster, groupId: 'g', logger }).assign({ members, topics: ['control'] });
    return Object.fromEntries(
      result.map(({ memberId, memberAssignment }) => [
        memberId,
        AssignerProtocol.MemberAssignment.decode(memberAssignment)?.assignment,
      ]),
    );
  }

  it('keeps every partition with the member that recorded holding them, whoever leads', async () => {
    const early = new ExclusiveAssignment(() => 1_000);
    const holder = new ExclusiveAssignment(() => 2_000);
    holder.recordJoin('holder-1', { control: [0, 1, 2] });

    const members = [joinRequest(early, 'early-1'), joinRequest(holder, 'holder-1')];

    const expected = { 'holder-1': { control: [0, 1, 2] }, 'early-1': {} };
    expect(await assign(early, members)).toEqual(expected);
    expect(await assign(holder, members)).toEqual(expected);
  });

  it('stops claiming once a join assigned it nothing', async () => {
    const former = new ExclusiveAssignment(() => 9_000);
    former.recordJoin('former-1', { control: [0] });
    former.recordJoin('former-1', {});
    const waiting = new ExclusiveAssignment(() => 5_000);
    waiting.recordJoin('waiting-1', { control: [] });

    const members = [joinRequest(former, 'former-1'), joinRequest(waiting, 'waiting-1')];

    expect(await assign(former, members)).toEqual({ 'waiting-1': { control: [0, 1, 2] }, 'former-1': {} });
  });

  it('counts the wait from the first join, not the latest rejoin', async () => {
    let now = 1_000;
    const patient = new ExclusiveAssignment(() => now);
    joinRequest(patient, 'patient-1');
    now = 9_000;
    const other = new ExclusiveAssignment(() => 5_000);

    const members = [joinRequest(other, 'other-1'), joinRequest(patient, 'patient-1')];

    expect(await assign(other, members)).toEqual({ 'patient-1': { control: [0, 1, 2] }, 'other-1': {} });
  });

  it('treats metadata it cannot read as a member that waits last', async () => {
    const leader = new ExclusiveAssignment(() => 1_000);
    const foreign = AssignerProtocol.MemberMetadata.encode({
      version: 0,
      topics: ['control'],
      userData: Buffer.from('not a claim'),
    });

    const members = [{ memberId: 'a-foreign', memberMetadata: foreign }, joinRequest(leader, 'leader-1')];

    expect(await assign(leader, members)).toEqual({ 'leader-1': { control: [0, 1, 2] }, 'a-foreign': {} });
  });
});
