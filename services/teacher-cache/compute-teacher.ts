// ComputeTeacher: runs a stored tfjs model over a dataset's stimuli and stores the layers' RDMs as a teacher.
// UNIMPLEMENTED until the trainer lands; the trainer branch replaces this factory (it gets the store, which has
// `create(header, layers, signal)` for layers it computes, with header.source = 'computed').
import type { ComputeTeacherHandler } from './service.ts';
import type { TeacherStore } from './store.ts';
import { UnimplementedError } from '../common/errors.ts';
import type { ServiceDeps } from '../registry.ts';

export function computeTeacherHandler(_store: TeacherStore, _deps: ServiceDeps): ComputeTeacherHandler {
  // eslint-disable-next-line require-yield
  return async function* computeTeacher() {
    throw new UnimplementedError('ComputeTeacher is not implemented yet (it arrives with the trainer)');
  };
}
