/**
 * In-page measurements, exposed as window.__plimsoll for tests and the replay measurement:
 * frame times (requestAnimationFrame deltas) and update lag per view (from the first stream
 * event that asked for a refresh to the redraw after the API answered).
 */
export interface PerfStats {
  frames: number[];
  updates: { view: string; lagMs: number; at: number }[];
  refreshes: Record<string, number>;
  eventsReceived: number;
  head: number;
}

export const stats: PerfStats = { frames: [], updates: [], refreshes: {}, eventsReceived: 0, head: 0 };
(window as unknown as { __plimsoll: PerfStats }).__plimsoll = stats;

export function startFrameClock(): void {
  let last = performance.now();
  const tick = (t: number) => {
    stats.frames.push(t - last);
    if (stats.frames.length > 100_000) stats.frames.splice(0, 50_000); // ~25 min at 60 fps
    last = t;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

export function noteUpdate(view: string, lagMs: number): void {
  stats.updates.push({ view, lagMs, at: performance.now() });
  if (stats.updates.length > 2000) stats.updates.splice(0, 1000);
  stats.refreshes[view] = (stats.refreshes[view] ?? 0) + 1;
}
