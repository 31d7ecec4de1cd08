/** An app shaped like Wippy's event-bus and chat-room examples (fixtures/examples-bus), run by the real `wisp`. */
import { rmSync } from 'fs';
import { join } from 'path';
import { projectCopy, ROOT, wisp } from '../helpers/cli';

test('event bus: a service and the CLI subscribe with patterns; order, copies at send time, close; request by event', async () => {
  const dir = projectCopy(join(ROOT, 'fixtures', 'examples-bus'));
  try {
    const r = await wisp(['run', '-x', 'ob:cli'], { cwd: dir, timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        'paid orders.eu /o/1 30',
        'paid orders.us /o/2 12',
        'closed: nil false',
        'tally saw 5: orders.eu/cancelled=1 orders.eu/paid=1 orders.eu/placed=1 orders.us/paid=1 orders.us/placed=1',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 40_000);
