import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { readLockFile, renderLockFile, writeLockFile } from '../../src/registry';
import { fixture, removeTempProjects, tempProject } from './helpers';

afterAll(removeTempProjects);

describe('wippy.lock', () => {
  it('writes exactly what wippy init writes for a new project', () => {
    const file = path.join(tempProject(), 'wippy.lock');
    writeLockFile(file, { srcDir: './src', modulesDir: '.wippy' });
    expect(fs.readFileSync(file, 'utf8')).toBe('directories:\n    modules: .wippy\n    src: ./src\n');
    expect(fs.readFileSync(file, 'utf8')).toBe(fs.readFileSync(path.join(__dirname, '..', '..', 'lua', 'echo-service', 'wippy.lock'), 'utf8'));
  });

  it('defaults to ./src and .wippy', () => {
    expect(renderLockFile({})).toBe('directories:\n    modules: .wippy\n    src: ./src\n');
  });

  it('overwrites the directories of an existing file but keeps its modules and other keys', () => {
    const file = path.join(tempProject(), 'wippy.lock');
    fs.copyFileSync(fixture('lock-modules/wippy.lock'), file);
    writeLockFile(file, { srcDir: './app', modulesDir: '.wippy' });
    expect(fs.readFileSync(file, 'utf8')).toBe(
      [
        'directories:',
        '    modules: .wippy',
        '    src: ./app',
        'modules:',
        '    - name: acme/http',
        '      version: v1.2.0',
        '      hash: sha256:0123abcd',
        '      local_hash: 9f8e',
        'options:',
        '    unpack_modules: false',
        '',
      ].join('\n'),
    );
  });

  it('quotes values that need it and round-trips them', () => {
    const text = renderLockFile({ srcDir: './my src: v2', modulesDir: '#vendor' });
    expect(text).toBe('directories:\n    modules: "#vendor"\n    src: "./my src: v2"\n');
    expect(yaml.load(text)).toEqual({ directories: { modules: '#vendor', src: './my src: v2' } });
  });

  it('reads a lock file with defaults for missing directories', () => {
    expect(readLockFile(fixture('lock-modules/wippy.lock'))).toEqual({
      directories: { src: './src', modules: 'vendor' },
      modules: [{ name: 'acme/http', version: 'v1.2.0', hash: 'sha256:0123abcd', local_hash: '9f8e' }],
      replacements: [],
      rest: { options: { unpack_modules: false } },
    });
    expect(readLockFile(fixture('missing-src/wippy.lock')).directories).toEqual({
      src: './nowhere',
      modules: '.wippy',
    });
  });

  it('reports a malformed lock file by name', () => {
    const dir = tempProject({ 'wippy.lock': 'directories:\n    src: 42\n' });
    expect(() => readLockFile(path.join(dir, 'wippy.lock'))).toThrow(
      'wippy.lock: field "directories.src" must be a string, got number 42',
    );
    const missing = path.join(dir, 'nope.lock');
    expect(() => readLockFile(missing)).toThrow('nope.lock: cannot read file: no such file or directory');
  });
});
