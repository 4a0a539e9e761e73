// Issue 9 item 4: listings come in pages (ListTeachers on a real server; the paging rule itself as a pure function).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Status } from 'nice-grpc';
import { createTeacherRequests } from '../../clients/ts/index.ts';
import { MAX_PAGE_SIZE, allPages, paginate } from '../../services/common/pages.ts';
import { InvalidArgumentError } from '../../services/common/errors.ts';
import { expectStatus } from '../support/grpc.ts';
import { randomMatrix } from '../support/reference.ts';
import { startServices, tempDir, type TestServices } from '../support/services.ts';

test('paginate: every item once, in order, across pages; items removed between pages shift nothing', () => {
  const items = Array.from({ length: 25 }, (_, i) => `t${String(i).padStart(2, '0')}`);
  const seen = [];
  let token = '';
  do {
    const page = paginate(items, (x) => x, { pageSize: 7, pageToken: token });
    assert.ok(page.items.length <= 7);
    seen.push(...page.items);
    token = page.nextPageToken;
  } while (token);
  assert.deepEqual(seen, items);
  const first = paginate(items, (x) => x, { pageSize: 5 });
  const without = items.filter((x) => x !== 't04'); // the last item of page 1 is deleted
  assert.deepEqual(paginate(without, (x) => x, { pageSize: 2, pageToken: first.nextPageToken }).items, ['t05', 't06']);
  assert.throws(() => paginate(items, (x) => x, { pageSize: MAX_PAGE_SIZE + 1 }), InvalidArgumentError);
  assert.throws(() => paginate(items, (x) => x, { pageToken: '%%%' }), /page_token/);
});

let dir: Awaited<ReturnType<typeof tempDir>>;
let svc: TestServices;
const n = 4;
before(async () => {
  dir = await tempDir();
  svc = await startServices(['teacher-cache'], { dataDir: dir.path });
  for (let i = 0; i < 5; i++) {
    await svc.clients.teacherCache.createTeacher(
      createTeacherRequests({ id: `t${i}`, numStimuli: n, description: 'd'.repeat(4096) }, [
        { name: 'a', shape: [n, 2], data: randomMatrix(n, 2, i) },
      ]),
    );
  }
});
after(async () => {
  await svc.close();
  await dir.remove();
});

test('ListTeachers pages; a client following next_page_token sees every teacher once', async () => {
  const cache = svc.clients.teacherCache;
  const first = await cache.listTeachers({ pageSize: 2 });
  assert.deepEqual(first.teachers.map((t) => t.id), ['t0', 't1']);
  assert.ok(first.nextPageToken);
  const all = await allPages(async (pageToken) => {
    const r = await cache.listTeachers({ pageSize: 2, pageToken });
    return { items: r.teachers, nextPageToken: r.nextPageToken };
  });
  assert.deepEqual(all.map((t) => t.id), ['t0', 't1', 't2', 't3', 't4']);
  assert.equal((await cache.listTeachers({})).nextPageToken, '');
  await expectStatus(cache.listTeachers({ pageSize: 5000 }), Status.INVALID_ARGUMENT, /^page_size/);
  await expectStatus(cache.listTeachers({ pageToken: 'nonsense' }), Status.INVALID_ARGUMENT, /^page_token/);
});
