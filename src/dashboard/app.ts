/** What every page gets: the API client, the live stream, and what the key may do. */
import type { Api } from './api.ts';
import type { Live, StreamEvent } from './live.ts';

export type Role = 'public' | 'trader' | 'liquidator' | 'operator' | 'other';

export interface AppCtx {
  readonly api: Api;
  readonly live: Live;
  readonly role: Role;
  /** A trader key's accounts. */
  readonly accounts: readonly string[];
  /** Notes how long a view took from the event that asked for it to its redraw. */
  noteUpdate(view: string, lagMs: number): void;
}

export interface Page {
  readonly el: HTMLElement;
  onEvents(events: readonly StreamEvent[]): void;
  dispose(): void;
}
