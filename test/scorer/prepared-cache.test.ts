// The bounded LRU of prepared teacher matrices: byte bound, recency, version invalidation, shared loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPreparedCache } from '../../services/scorer/prepared-cache.ts';

test('evicts least recently used entries beyond the byte bound', async () => {
  const cache = createPreparedCache(100);
  let loads = 0;
  const load = (v: string, bytes = 40) => async () => {
    loads++;
    return { value: v, bytes };
  };
  assert.equal(await cache.get('t', 'v1', 'a', load('A')), 'A');
  assert.equal(await cache.get('t', 'v1', 'b', load('B')), 'B');
  assert.equal(await cache.get('t', 'v1', 'a', load('A2')), 'A'); // hit, now most recent
  assert.equal(await cache.get('t', 'v1', 'c', load('C')), 'C'); // evicts b
  assert.equal(cache.bytes, 80);
  assert.equal(await cache.get('t', 'v1', 'b', load('B2')), 'B2');
  assert.equal(loads, 4);
  assert.equal(await cache.get('t', 'v1', 'huge', load('H', 101)), 'H'); // too big to keep
  assert.ok(cache.bytes <= 100);
});

test('a new version of a teacher drops the old entries; concurrent loads share one promise', async () => {
  const cache = createPreparedCache(1000);
  let loads = 0;
  const slow = (v: string) => async () => {
    loads++;
    await new Promise((r) => setTimeout(r, 10));
    return { value: v, bytes: 10 };
  };
  const [a, b] = await Promise.all([cache.get('t', 'v1', 'x', slow('old')), cache.get('t', 'v1', 'x', slow('old'))]);
  assert.equal(a, 'old');
  assert.equal(b, 'old');
  assert.equal(loads, 1);
  await cache.get('u', 'v1', 'x', slow('other'));
  assert.equal(await cache.get('t', 'v2', 'x', slow('new')), 'new');
  assert.equal(cache.size, 2); // t@v2 and u@v1
  cache.invalidate('u');
  assert.equal(cache.size, 1);
});
