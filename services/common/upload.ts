// Upload streams are "exactly one header, then pieces": splitHeader takes the header off the front and yields the
// pieces, rejecting a missing or repeated header with INVALID_ARGUMENT.
import { InvalidArgumentError } from './errors.ts';

type Case = { $case: string; value: unknown };
type Cases<R> = R extends { message?: infer M } ? NonNullable<M> : never;
type ValueOf<C> = C extends { value: infer V } ? V : never;
export type HeaderOf<R> = ValueOf<Extract<Cases<R>, { $case: 'header' }>>;
export type PieceOf<R> = ValueOf<Exclude<Cases<R>, { $case: 'header' }>>;

export interface SplitUpload<H, P> {
  header: H;
  pieces: AsyncIterable<P>;
}

export async function splitHeader<R extends { message?: Case | undefined }>(
  requests: AsyncIterable<R>,
): Promise<SplitUpload<HeaderOf<R>, PieceOf<R>>> {
  const it = requests[Symbol.asyncIterator]();
  const first = await it.next();
  const m0 = first.done ? undefined : first.value.message;
  if (m0?.$case !== 'header') {
    const got = first.done ? 'the stream was empty' : `got ${m0?.$case ?? 'an empty message'}`;
    throw new InvalidArgumentError('header', `missing: the first message must be the header (${got})`);
  }
  async function* pieces(): AsyncGenerator<PieceOf<R>> {
    for (let index = 1; ; index++) {
      const next = await it.next();
      if (next.done) return;
      const m = next.value.message;
      if (m === undefined) throw new InvalidArgumentError(`message[${index}]`, 'empty message (neither header nor piece)');
      if (m.$case === 'header') {
        throw new InvalidArgumentError('header', `repeated: message ${index} is a second header; send exactly one, first`);
      }
      yield m.value as PieceOf<R>;
    }
  }
  return { header: m0.value as HeaderOf<R>, pieces: pieces() };
}
