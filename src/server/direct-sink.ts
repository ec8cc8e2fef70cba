/**
 * A CommandSink over an engine whose journal commits synchronously (in-memory or SQLite without
 * group commit): a command is durable when `execute` returns, so `submit` resolves at once and
 * committed events reach listeners in order. Tests of the live modules (event hub, keeper
 * service) and in-memory services use it; the service proper uses the group-commit pipeline.
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

  async submit(command: unknown): Promise<ExecuteResult> {
    return this.engine.execute(command);
  }

  onCommitted(listener: (events: readonly Sequenced[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async drain(): Promise<void> {}
}
