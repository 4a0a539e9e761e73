// Ids users choose (teachers, studies) and the default teacher's id: one rule, used by every service.

/** A letter or digit, then up to 63 letters, digits, '.', '_' or '-' (safe as a file name). */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** The teacher shipped in teachers/default, installed by `tgsage serve` / `start`, used when no teacher is named. */
export const DEFAULT_TEACHER_ID = 'default';
