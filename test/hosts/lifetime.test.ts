/** The runtime lives until it is told to stop, even when every process is parked with no timer or I/O. */
import { indexWithHosts, sleep, startWisp, writeProject } from '../helpers/cli';

const INDEX = indexWithHosts('live', `  - name: parked
    kind: process.lua
    source: file://parked.lua
    method: main
  - name: parked-service
    kind: process.service
    process: parked
    host: processes
    lifecycle:
      auto_start: true
  - name: deadlock
    kind: process.lua
    source: file://deadlock.lua
    method: main
    modules: [channel]
`);
// Parked in a select over inbox and events: no timer, no stdin read; it stops on CANCEL.
const PARKED = `return { main = function()
  local inbox, events = process.inbox(), process.events()
  while true do
    local r = channel.select { inbox:case_receive(), events:case_receive() }
    if r.channel == events and r.value.kind == process.event.CANCEL then return 0 end
  end
end }`;
const DEADLOCK = `return { main = function()
  local ch = channel.new()
  ch:receive()
  return "unreachable"
end }`;

const project = () => writeProject({ '_index.yaml': INDEX, 'parked.lua': PARKED, 'deadlock.lua': DEADLOCK });

describe('the runtime lives until told to stop', () => {
  test('only message-driven services: still running after a second; SIGINT stops it with 0', async () => {
    const run = startWisp(['run', '-c'], project());
    while (!run.out().includes('service running') && run.running()) await sleep(20);
    await sleep(1000);
    expect(run.running()).toBe(true);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain('service stopped');
  });

  test('a deadlocked -x process keeps the runtime alive until SIGINT', async () => {
    const run = startWisp(['run', '-x', 'live:deadlock'], project());
    await sleep(1500);
    expect(run.running()).toBe(true);
    expect(run.out()).toBe('');
    run.child.kill('SIGINT');
    await run.exited;
    expect(run.out()).not.toContain('unreachable');
  });
});
