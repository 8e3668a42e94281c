/** A committed change to a row that cached answers depend on (the triggers of migrations 0009, 0011, 0030). */
export interface Change {
  /** `membership`: a membership added, changed or removed, or an organization's agency changed or deleted. */
  kind: 'file' | 'apiKey' | 'membership';
  organizationId: string;
  /** The file's or the API key's id; for a membership, the user's (the organization's for an organization). */
  id: string;
}

/** What a cache implements to stay true to the database. */
export interface ChangeSubscriber {
  /** A change committed. Called in commit order of the notifications' delivery. */
  change(change: Change): void;
  /**
   * Notifications may have been missed (the feed's connection was lost, or has just been made):
   * everything derived from the database must be forgotten.
   */
  reset(): void;
}

/** What readers of the feed look at before and after reading the database. */
export interface ChangeFeedState {
  /** True while notifications are being received: only then may answers be kept. */
  readonly live: boolean;
  /** Changes each time the feed goes down or comes up. */
  readonly epoch: number;
}
