// Where the CLI finds the services: flags, then TGSAGE_*_ADDR environment variables, then the local default ports.

// Service names, default ports and addresses are services/config.ts's.
import type { ServiceName } from '../../services/config.ts';

export { DEFAULT_PORTS, SERVICE_NAMES, defaultAddress, type ServiceName } from '../../services/config.ts';

/** The global flag (without dashes) and environment variable naming each service's address. */
export const ADDRESS_OPTIONS: Record<ServiceName, { flag: string; env: string }> = {
  'teacher-cache': { flag: 'teacher-cache', env: 'TGSAGE_TEACHER_CACHE_ADDR' },
  scorer: { flag: 'scorer', env: 'TGSAGE_SCORER_ADDR' },
  trainer: { flag: 'trainer', env: 'TGSAGE_TRAINER_ADDR' },
  'search-controller': { flag: 'controller', env: 'TGSAGE_CONTROLLER_ADDR' },
};
