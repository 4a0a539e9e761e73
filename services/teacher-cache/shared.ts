// The teacher store a teacher cache shares with services in its process (the scorer reads it directly). Its own
// module, so that a scorer finds the store without loading the teacher cache's wiring (and its trainer, for
// ComputeTeacher).
import { stateKey } from '../common/shared-state.ts';
import type { TeacherStore } from './store.ts';

export const TEACHER_STORE = stateKey<TeacherStore>('teacher-cache/store');
