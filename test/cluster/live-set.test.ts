/**
 * The threads' shared live sets (src/cluster/live-set.ts): a process is alive from its creation to its end; a
 * process whose slot a living one holds is "unknown" (never "ended") for good; PIDs of nodes that are not this
 * node's threads are unknown. Two LiveSets over one SharedArrayBuffer stand for two threads' views.
 */
import { LIVE_SLOTS, LiveSets, liveSetBytes } from '../../src/cluster/live-set';

const names = ['t1', 't2'];
const views = () => {
  const memory = new SharedArrayBuffer(64 + liveSetBytes(2));
  return [new LiveSets(memory, 64, names), new LiveSets(memory, 64, names)];
};
const pid = (node: string, uniq: number) => ({ node, host: 'app:h', uniq });

test('alive from creation to end, as another thread sees it', () => {
  const [t1, t2] = views();
  t2.started(pid('t2', 7));
  expect(t1.alive('t2', 7)).toBe(true);
  expect(t1.alive('t2', 8)).toBe(false);
  expect(t1.alive('t1', 7)).toBe(false);
  t2.ended(pid('t2', 7));
  expect(t1.alive('t2', 7)).toBe(false);
});

test('a process whose slot a living one holds is unknown, never ended, even after the holder ends', () => {
  const [t1, t2] = views();
  t2.started(pid('t2', 3));
  t1.started(pid('t2', 3 + LIVE_SLOTS)); // numbered by thread 1 for a child placed on thread 2
  expect(t1.alive('t2', 3)).toBe(true);
  expect(t1.alive('t2', 3 + LIVE_SLOTS)).toBeUndefined();
  t2.ended(pid('t2', 3));
  expect(t1.alive('t2', 3 + LIVE_SLOTS)).toBeUndefined();
  t2.started(pid('t2', 3 + 2 * LIVE_SLOTS));
  expect(t1.alive('t2', 3 + 2 * LIVE_SLOTS)).toBe(true);
  // Its neighbours' slots keep their precision.
  expect(t1.alive('t2', 4)).toBe(false);
});

test('a PID of another node (or none) is unknown', () => {
  const [t1] = views();
  expect(t1.alive('b', 1)).toBeUndefined();
  expect(t1.alive(null, 1)).toBeUndefined();
  expect(t1.alive('t3', 1)).toBeUndefined();
});
