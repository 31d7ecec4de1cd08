/** The README's "Write your first app" runs as written: its code blocks are the project. */
import { readFileSync } from 'fs';
import { join } from 'path';
import { ECHO, ROOT, readmeSectionFiles, wisp, writeProject } from '../helpers/cli';

const firstAppFiles = (): Record<string, string> => readmeSectionFiles('Write your first app');

describe('README: write your first app', () => {
  test('the three files, run by command name, count words; the service stops on CANCEL at once', async () => {
    const files = firstAppFiles();
    expect(Object.keys(files).sort()).toEqual(['_index.yaml', 'client.lua', 'counter.lua']);
    const dir = writeProject(files);
    const r = await wisp(['run', 'count'], { cwd: dir, input: 'hello there\none two three\n' });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'Type a line (an empty line ends):\n2 words, 2 in all\n3 words, 5 in all\n', '']);
    expect(r.ms).toBeLessThan(8000); // no 10 s stop_timeout wait: the counter handles CANCEL
    const list = await wisp(['run', 'list'], { cwd: dir });
    expect(list.stdout).toContain('  count  Count the words of each line  (hello:client)\n');
  });
});

describe('README: quick start', () => {
  test('the wait at exit it explains is the one a newcomer meets, in the words stderr uses', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const quickStart = readme.split('\n## Quick start\n')[1].split('\n## ')[0];
    const quoted = /\(`(app:relay-service did not stop on CANCEL; waiting up to 10s \(stop_timeout\))`\)/.exec(quickStart)?.[1];
    expect(quoted).toBeDefined();
    const r = await wisp(['run', '-x', 'app:terminal/app:cli'], { cwd: ECHO, input: 'hi\n\n', timeoutMs: 30000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${quoted!}; Ctrl+C to exit now\n`);
    expect(r.ms).toBeGreaterThan(9000); // the relay ignores CANCEL: its 10 s stop_timeout runs out
  }, 40000);
});
