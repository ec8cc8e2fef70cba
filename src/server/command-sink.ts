/**
 * Where the service sends commands: `submit` applies a command to the engine and resolves only
 * once its events are durable (group commit), with the engine's own outcome. Committed events
 * reach `onCommitted` listeners in sequence order, each exactly once, after they are durable.
 */
import type { Engine, ExecuteResult } from '../core/engine/engine.ts';
import type { Sequenced } from '../core/engine/events.ts';

export interface CommandSink {
  /** The live engine (it is replaced by a reopened one after a failed commit). Read state here. */
  readonly engine: Engine;
  /** Applies `command` and resolves after its events are committed (or with the rejection). */
  submit(command: unknown): Promise<ExecuteResult>;
  /** Calls `listener` with each committed batch of events; returns an unsubscribe function. */
  onCommitted(listener: (events: readonly Sequenced[]) => void): () => void;
  /** Resolves when every command submitted so far is committed (graceful shutdown). */
  drain(): Promise<void>;
}
