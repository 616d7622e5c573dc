/**
 * One candidate for a role's leadership in etcd (issue 18: the RMs, the GFDs). It campaigns with a
 * lease of `leaseTtlS` seconds (kept alive by the client) and observes who leads. What the leader
 * decides that must survive it goes through `whileLeading`: a transaction that succeeds only while
 * its election key still exists at the revision it was created with, so a deposed leader (frozen
 * past its lease, cut off from etcd) can change nothing, however late its writes arrive. This is
 * the guard of etcd's own Go `concurrency` package (compare on the election key's create revision).
 */
import type { Campaign, Etcd3, Namespace } from 'etcd3';

export type LeadershipEvent =
  | { type: 'elected' }
  /** Leadership lost (the lease expired or could not be kept): nothing may be decided any more. */
  | { type: 'deposed'; reason: string }
  /** Who leads now, as every candidate observes it (null while nobody does). */
  | { type: 'leader'; name: string | null }
  /** etcd stopped answering the lease's keep-alives (said once), or answers again. */
  | { type: 'trouble'; reason: string }
  | { type: 'back' };

/** A comparison and the writes it guards, as `whileLeading` extends them. */
export interface Guarded {
  /** The keys whose modification revisions must still be what was read (0: the key must not exist). */
  unchanged: { key: string; modRevision: string }[];
  puts: { key: string; value: string }[];
}

export class Leadership {
  private campaign: Campaign | null = null;
  /** Our election key and its create revision, once elected. */
  private elected: { key: string; createRevision: string } | null = null;
  private stopped = false;
  private stopObserving: (() => Promise<void>) | null = null;
  private readonly space: Namespace;

  /**
   * `root` is the client with no namespace (keys are written whole); `prefix` is `[etcd] prefix`
   * (ends with `/`), `role` the election's name (`rm`, `gfd`), `name` this candidate's.
   */
  constructor(
    private readonly root: Etcd3,
    private readonly prefix: string,
    private readonly role: string,
    readonly name: string,
    private readonly leaseTtlS: number,
    private readonly emit: (e: LeadershipEvent) => void,
  ) {
    this.space = root.namespace(prefix);
  }

  /** Observes the leader and campaigns; events follow through `emit`. */
  async start(): Promise<void> {
    await this.observe();
    this.campaignNow();
  }

  /** Observes the leader without standing (the GFD following the RMs' election). */
  async observeOnly(): Promise<void> {
    await this.observe();
  }

  /**
   * Who leads, as it changes; an observation that fails says nobody is known and starts again.
   *
   * etcd3's observer, while nobody leads, waits for the first key put and takes the *last* put of
   * the batch that brings it: when two candidates campaign at once it may name the younger one and
   * then watch that one's key, never learning of the real leader (etcd's Go client takes the
   * first). So when somebody leads after nobody did, the observation starts afresh: a new observer
   * reads the oldest key, which is the leader.
   */
  private async observe(): Promise<void> {
    if (this.stopped) return;
    const observer = await this.space.election(this.role, this.leaseTtlS).observe();
    this.stopObserving = () => observer.cancel();
    let known = observer.leader() ?? null;
    let retired = false;
    this.emit({ type: 'leader', name: known });
    observer.on('change', (leader) => {
      if (retired) return;
      if (known === null && leader !== undefined) {
        retired = true;
        // Not from inside its own event: the observer sets up its next watch right after it.
        setImmediate(() => void observer.cancel().then(() => this.observe()).catch(() => undefined));
        return;
      }
      known = leader ?? null;
      this.emit({ type: 'leader', name: known });
    });
    observer.on('error', () => {
      if (retired) return;
      this.emit({ type: 'leader', name: null });
      setTimeout(() => void this.observe().catch(() => undefined), 200).unref();
    });
  }

  get leading(): boolean {
    return this.elected !== null;
  }

  private campaignNow(): void {
    if (this.stopped) return;
    const campaign = this.space.election(this.role, this.leaseTtlS).campaign(this.name);
    this.campaign = campaign;
    this.watchLease(campaign);
    campaign.on('elected', () => {
      void this.takeOffice(campaign);
    });
    campaign.on('error', (err: Error) => {
      if (this.campaign === campaign) this.standAgain(err.message);
    });
  }

  /**
   * Says once when the lease's keep-alives fail (etcd unreachable) and again when one succeeds. The
   * campaign's lease is a plain property of etcd3's Campaign, private only in its typings.
   */
  private watchLease(campaign: Campaign): void {
    const lease = (campaign as unknown as { lease?: import('node:events').EventEmitter }).lease;
    let troubled = false;
    lease?.on('keepaliveFailed', (err: Error) => {
      if (troubled || this.campaign !== campaign) return;
      troubled = true;
      this.emit({ type: 'trouble', reason: err.message });
    });
    lease?.on('keepaliveSucceeded', () => {
      if (!troubled || this.campaign !== campaign) return;
      troubled = false;
      this.emit({ type: 'back' });
    });
  }

  /** This campaign is over (its lease lost, its key gone): deposed if it led, and a new one stands, behind whoever leads meanwhile. */
  private standAgain(reason: string): void {
    const over = this.campaign;
    this.campaign = null;
    const was = this.elected !== null;
    this.elected = null;
    if (was) this.emit({ type: 'deposed', reason });
    void over?.resign().catch(() => undefined);
    if (!this.stopped) setTimeout(() => this.campaignNow(), 200).unref();
  }

  private async takeOffice(campaign: Campaign): Promise<void> {
    try {
      const key = await campaign.getCampaignKey();
      const kv = (await this.root.get(key).exec()).kvs[0];
      if (kv === undefined || this.campaign !== campaign) return;
      this.elected = { key, createRevision: kv.create_revision };
      this.emit({ type: 'elected' });
    } catch (err) {
      campaign.emit('error', err as Error);
    }
  }

  /**
   * The current value of `key` (under the prefix) and its modification revision ('0' when absent),
   * for a `whileLeading` that must not overwrite a change made since.
   */
  async read(key: string): Promise<{ value: string | null; modRevision: string }> {
    const kv = (await this.root.get(this.prefix + key).exec()).kvs[0];
    return kv === undefined ? { value: null, modRevision: '0' } : { value: kv.value.toString(), modRevision: kv.mod_revision };
  }

  /**
   * Writes `puts` (keys under the prefix) if this candidate still leads and every `unchanged` key
   * is as it was read: `written`, `changed` (read again and retry), or `not leading` (also when
   * etcd says the election key is gone before the lease's loss is noticed: then deposed at once).
   */
  async whileLeading(g: Guarded): Promise<'written' | 'changed' | 'not leading'> {
    const office = this.elected;
    if (office === null) return 'not leading';
    let txn = this.root.if(office.key, 'Create', '==', office.createRevision);
    for (const u of g.unchanged) txn = txn.and(this.prefix + u.key, 'Mod', '==', u.modRevision);
    const result = await txn
      .then(...g.puts.map((p) => this.root.put(this.prefix + p.key).value(p.value)))
      .else(this.root.get(office.key))
      .commit();
    if (result.succeeded) return 'written';
    const ours = result.responses[0]?.response_range?.kvs[0];
    if (ours !== undefined && ours.create_revision === office.createRevision) return 'changed';
    if (this.elected === office) this.standAgain('its election key is gone');
    return 'not leading';
  }

  /** Resigns (a standby takes over at once, not after the lease) and stops observing. */
  async stop(): Promise<void> {
    this.stopped = true;
    const campaign = this.campaign;
    this.campaign = null;
    this.elected = null;
    await Promise.allSettled([campaign?.resign(), this.stopObserving?.()]);
  }
}

/**
 * Raises the epoch counter in etcd under `key` to at least `epoch`, while leading and unchanged
 * since read: what a leader does before it hands out `epoch`, so that no leader ever reuses one
 * (a successor starts above the counter). The counter's value, or null when not leading.
 */
export async function raiseEpoch(leadership: Leadership, key: string, epoch: number): Promise<number | null> {
  for (;;) {
    const seen = await leadership.read(key);
    const value = Math.max(Number(seen.value ?? 0), epoch);
    const outcome = await leadership.whileLeading({ unchanged: [{ key, modRevision: seen.modRevision }], puts: [{ key, value: String(value) }] });
    if (outcome === 'written') return value;
    if (outcome === 'not leading') return null;
  }
}

