/**
 * The README's security section runs as written (in-process, on a free port): login issues a token, the guarded
 * route takes it.
 */
import { readmeSectionFiles } from '../../helpers/cli';
import { bootProject, writeFiles } from '../../helpers/service-project';
import { freePort } from '../../helpers/net';

test('README security section: a login endpoint issuing a token, a guarded route', async () => {
  const files = readmeSectionFiles('Security: actors, scopes, tokens');
  expect(Object.keys(files).sort()).toEqual(['_index.yaml', 'login.lua', 'profile.lua']);
  const port = await freePort();
  files['_index.yaml'] = files['_index.yaml'].replace('127.0.0.1:8080', `127.0.0.1:${port}`);
  const rt = await bootProject(writeFiles(Object.fromEntries(Object.entries(files).map(([k, v]) => [`src/${k}`, v]))));
  try {
    const base = `http://127.0.0.1:${port}`;
    const bad = await fetch(`${base}/login`, { method: 'POST', body: JSON.stringify({ user: 'ada', password: 'guess' }) });
    expect(bad.status).toBe(401);
    const login = await fetch(`${base}/login`, { method: 'POST', body: JSON.stringify({ user: 'ada', password: 'open sesame' }) });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const me = await fetch(`${base}/me/`, { headers: { Authorization: `Bearer ${token}` } });
    expect([me.status, await me.text()]).toEqual([200, '{"user":"ada","role":"member"}']);
    const anonymous = await fetch(`${base}/me/`);
    expect([anonymous.status, await anonymous.text()]).toEqual([401, '{"details":"You must be authenticated to access this endpoint","error":"Authentication required","success":false}\n']);
  } finally {
    await rt.shutdown();
  }
});
