/**
 * A recording stand-in for a Cloudflare Queue binding, so reliability tests can drain work
 * deterministically (the pool's own queue delivery timing is not controllable). It keeps
 * every message with its delay; `drain` hands them to the real task handlers in ready order
 * on a simulated clock. D1, the handlers and the Worker are all real.
 */
import type { Task } from "../../../src/queue/messages";

export interface Queued {
  body: Task;
  readyAt: number;
}

export class ManualQueue {
  readonly pending: Queued[] = [];
  readonly sent: Task[] = [];
  clock = 0;

  async send(body: Task, opts?: { delaySeconds?: number }): Promise<void> {
    this.sent.push(body);
    this.pending.push({ body, readyAt: this.clock + (opts?.delaySeconds ?? 0) });
  }

  async sendBatch(msgs: Iterable<{ body: Task; delaySeconds?: number }>, opts?: { delaySeconds?: number }): Promise<void> {
    for (const m of msgs) await this.send(m.body, { delaySeconds: m.delaySeconds ?? opts?.delaySeconds });
  }

  /** Hands messages to `handle` in ready order until none is left or `maxSteps` is reached. */
  async drain(handle: (t: Task) => Promise<void>, maxSteps = 10_000): Promise<number> {
    let steps = 0;
    while (this.pending.length && steps < maxSteps) {
      this.pending.sort((a, b) => a.readyAt - b.readyAt);
      const next = this.pending.shift()!;
      this.clock = Math.max(this.clock, next.readyAt);
      await handle(next.body);
      steps++;
    }
    return steps;
  }
}
