/**
 * A person at a real terminal: tmux gives the CLI a pseudo-terminal; keys are typed with send-keys and the
 * screen is read with capture-pane. Ctrl+C arrives as a real SIGINT from the terminal's line discipline.
 */
import { execFileSync } from 'child_process';
import { ECHO, hasTmux, WISP } from '../helpers/cli';
import { pidPattern, TEST_THREADS } from '../helpers/pid';
import { until } from '../helpers/poll';

const session = `wisp-test-${process.pid}`;
const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = (): string => tmux('capture-pane', '-p', '-t', session);

const waitFor = (pattern: RegExp, ms = 15000): Promise<string> =>
  until(`the screen to match ${pattern}`, () => {
    const text = screen();
    return pattern.test(text) && text;
  }, ms, screen);

(hasTmux ? describe : describe.skip)('typing into the echo CLI in a real terminal (tmux)', () => {
  afterAll(() => {
    try {
      tmux('kill-session', '-t', session);
    } catch {
      // already gone
    }
  });

  test('lines are echoed; Ctrl+C starts shutdown, says what it waits for; a second Ctrl+C exits at once', async () => {
    // tmux's server, not this process, gives the shell its environment: the thread count is passed on explicitly.
    const command = `cd '${ECHO}' && WISP_THREADS=${TEST_THREADS} node '${WISP}' run -x app:terminal/app:cli; echo "EXIT=$?"; sleep 60`;
    tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', command);
    await waitFor(/Type messages to echo/);
    await waitFor(/^>\s*$/m);
    tmux('send-keys', '-t', session, 'hello from a terminal', 'Enter');
    let text = await waitFor(new RegExp(`from worker: ${pidPattern('app:processes').source}`));
    expect(text).toContain('> hello from a terminal\n  HELLO FROM A TERMINAL\n');
    tmux('send-keys', '-t', session, 'again', 'Enter');
    text = await waitFor(/ {2}AGAIN\n/);
    tmux('send-keys', '-t', session, 'C-c');
    text = await waitFor(/\napp:relay-service did not stop on CANCEL; waiting up to 10s \(stop_timeout\); Ctrl\+C to exit now/);
    tmux('send-keys', '-t', session, 'C-c');
    text = await waitFor(/EXIT=\d+/);
    expect(text).toContain('force exit');
    expect(text).toContain('EXIT=1');
  }, 30000);
});
