// A bounded in-memory LRU of prepared teacher matrices (prepared RDMs, Gram matrices), by bytes. Keys carry the
// teacher's version, and seeing a new version of a teacher drops every entry of the old one, so a deleted and
// re-created teacher is never scored against stale RDMs. Concurrent loads of one key share one promise.

export interface CacheEntry<T> {
  value: T;
  bytes: number;
}

export interface PreparedCache {
  /** Value for (teacher, version, key), loading it when absent. */
  get<T>(teacherId: string, version: string, key: string, load: () => Promise<CacheEntry<T>>): Promise<T>;
  /** Drops every entry of a teacher. */
  invalidate(teacherId: string): void;
  readonly bytes: number;
  readonly size: number;
}

export function createPreparedCache(maxBytes: number): PreparedCache {
  const entries = new Map<string, CacheEntry<unknown> & { teacherId: string }>();
  const loading = new Map<string, Promise<unknown>>();
  const versions = new Map<string, string>();
  let bytes = 0;

  function invalidate(teacherId: string): void {
    for (const [k, e] of entries) {
      if (e.teacherId === teacherId) {
        entries.delete(k);
        bytes -= e.bytes;
      }
    }
    versions.delete(teacherId);
  }

  return {
    async get<T>(teacherId: string, version: string, key: string, load: () => Promise<CacheEntry<T>>): Promise<T> {
      if (versions.get(teacherId) !== version) {
        invalidate(teacherId);
        versions.set(teacherId, version);
      }
      const full = `${teacherId}\u0000${version}\u0000${key}`;
      const hit = entries.get(full);
      if (hit) {
        entries.delete(full);
        entries.set(full, hit);
        return hit.value as T;
      }
      const pending = loading.get(full);
      if (pending) return pending as Promise<T>;
      const promise = (async () => {
        try {
          const entry = await load();
          if (versions.get(teacherId) === version && entry.bytes <= maxBytes) {
            entries.set(full, { ...entry, teacherId });
            bytes += entry.bytes;
            for (const [k, e] of entries) {
              if (bytes <= maxBytes) break;
              entries.delete(k);
              bytes -= e.bytes;
            }
          }
          return entry.value;
        } finally {
          loading.delete(full);
        }
      })();
      loading.set(full, promise);
      return promise;
    },
    invalidate,
    get bytes() {
      return bytes;
    },
    get size() {
      return entries.size;
    },
  };
}
