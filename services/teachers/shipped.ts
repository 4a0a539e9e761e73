// Where the repository's shipped teachers live (teachers/<id>/: a tfjs model plus teacher.json). A leaf module, so
// that a CLI command can name the directory without loading the trainer or tfjs.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One directory per teacher id, each a tfjs model plus teacher.json. */
export const SHIPPED_TEACHERS_ROOT = fileURLToPath(new URL('../../teachers/', import.meta.url));
/** The teacher shipped as `default`. */
export const SHIPPED_TEACHER_DIR = join(SHIPPED_TEACHERS_ROOT, 'default');
