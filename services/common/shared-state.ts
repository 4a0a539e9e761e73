// State shared by services running in one process (e.g. the teacher store, read by an in-process scorer), under
// typed keys: the owner defines `const KEY = stateKey<T>('name')`, sets it, and a reader gets a T | undefined without
// a cast. Modeled on connect-es's createContextKey.
export interface StateKey<T> {
  readonly name: string;
  /** Phantom: carries T; never set. */
  readonly type?: T;
}

export function stateKey<T>(name: string): StateKey<T> {
  return { name };
}

export interface SharedState {
  get<T>(key: StateKey<T>): T | undefined;
  set<T>(key: StateKey<T>, value: T): void;
}

export function sharedState(): SharedState {
  const values = new Map<StateKey<unknown>, unknown>();
  return {
    get: <T>(key: StateKey<T>) => values.get(key) as T | undefined,
    set: (key, value) => void values.set(key, value),
  };
}
