/** The README's "Write your first app" runs as written: its code blocks are the project. */
import { readmeSectionFiles, wisp, writeProject } from '../helpers/cli';

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
