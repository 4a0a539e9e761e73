// Where the CLI finds the services: flags, then TGSAGE_*_ADDR environment variables, then the local default ports.

export const SERVICE_NAMES = ['teacher-cache', 'scorer', 'trainer', 'search-controller'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const DEFAULT_PORTS: Record<ServiceName, number> = {
  'teacher-cache': 50051,
  scorer: 50052,
  trainer: 50053,
  'search-controller': 50054,
};

/** The global flag (without dashes) and environment variable naming each service's address. */
export const ADDRESS_OPTIONS: Record<ServiceName, { flag: string; env: string }> = {
  'teacher-cache': { flag: 'teacher-cache', env: 'TGSAGE_TEACHER_CACHE_ADDR' },
  scorer: { flag: 'scorer', env: 'TGSAGE_SCORER_ADDR' },
  trainer: { flag: 'trainer', env: 'TGSAGE_TRAINER_ADDR' },
  'search-controller': { flag: 'controller', env: 'TGSAGE_CONTROLLER_ADDR' },
};

export function defaultAddress(service: ServiceName): string {
  return `127.0.0.1:${DEFAULT_PORTS[service]}`;
}
