/**
 * Finding (operator, 3 a.m.): INGEST_MODE is matched case- and space-sensitively and anything
 * unknown silently means `queue`. An operator who sets `INGEST_MODE=D1` (or "d1 " from a
 * copied line) to take the queue out of the ingest path — during a queue incident, or before
 * a rollback (docs/operations.md) — still hands every webhook to the queue, with nothing in
 * the logs to say so.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Task } from "../../../src/queue/messages";
import { eventsOf } from "../triggers/helpers";
import { deliver, ingestsOf, modeEnv, setup, spyQueue } from "../triggers/ingest-helpers";

afterEach(() => vi.restoreAllMocks());

describe("INGEST_MODE spelled the way an operator types it", () => {
  for (const spelled of ["D1", " d1", "d1\n"]) {
    it(`${JSON.stringify(spelled)} stores the event in D1 before the answer, like "d1"`, async () => {
      const sent: Task[] = spyQueue();
      const { triggerId } = await setup(`atk-mode-${spelled.trim()}`);
      const res = await deliver({ ...modeEnv("d1"), INGEST_MODE: spelled }, triggerId, `msg_mode_${encodeURIComponent(spelled)}`);
      expect(res.status).toBe(200);
      expect(ingestsOf(sent)).toHaveLength(0);
      expect((await eventsOf(triggerId)).map((e) => e.eventId)).toEqual([res.body.event_id]);
    });
  }
});
