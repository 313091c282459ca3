// No Docker engine runs here, so what can be checked without one is: the image starts with the same
// `npm start` the tests and the README use, on the two ports the original promised, and the scale profile
// points every server process at the same PostgreSQL and Redis.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');

describe('Docker files', () => {
  it('the image CMD is `npm start`, which starts packages/server/src/main.ts (what the process tests run)', () => {
    const cmd = /^CMD (.*)$/m.exec(read('Dockerfile'))?.[1];
    expect(JSON.parse(cmd ?? 'null')).toEqual(['npm', 'start']);
    const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start;
    const script = /node --import tsx (\S+)/.exec(start)?.[1];
    expect(script).toBeDefined();
    const entry = script!.endsWith('main.ts') ? script! : read(script!);
    expect(entry).toContain('packages/server/src/main.ts');
    expect(read('Dockerfile')).toMatch(/EXPOSE 8000 5000/);
    // Published ports reach only listeners on the container's interfaces, not its localhost.
    expect(read('Dockerfile')).toMatch(/HOST=0\.0\.0\.0 .*WEB_HOST=0\.0\.0\.0/);
  });

  it('compose: :8000 and :5000 by default; the scale profile adds PostgreSQL, Redis and a second process', () => {
    const compose = read('docker-compose.yml');
    expect(compose).toMatch(/ports: \[['"]8000:8000['"], ['"]5000:5000['"]\]/);
    for (const service of ['postgres:', 'redis:', 'parley-2:']) expect(compose).toContain(`  ${service}`);
    expect(compose.match(/profiles: \[scale\]/g)).toHaveLength(3);
    expect(compose).toContain('DATABASE_URL: postgres://parley:parley@postgres:5432/parley');
  });
});
