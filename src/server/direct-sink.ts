/**
 * The simplest CommandSink: one command at a time, straight into the engine over a synchronous
 * journal (SQLite or memory), acknowledged as soon as `execute` returns (the journal append was the
 * commit). It serves tests and small venues; the group-commit pipeline replaces it under load.
 */
import type { Engine, ExecuteResult } from '../core/engine/engine.ts';
import type { Sequenced } from '../core/engine/events.ts';
import type { CommandSink } from './command-sink.ts';

export class DirectSink implements CommandSink {
  private readonly listeners = new Set<(events: readonly Sequenced[]) => void>();

  constructor(readonly engine: Engine) {
    engine.onEvents((events) => {
      for (const l of this.listeners) l(events);
    });
  }

  submit(command: unknown): Promise<ExecuteResult> {
    try {
      return Promise.resolve(this.engine.execute(command));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  onCommitted(listener: (events: readonly Sequenced[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }
}
