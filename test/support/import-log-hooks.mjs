// Module hooks of import-log.mjs: records each resolved URL, then resolves as usual.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env['TGSAGE_IMPORT_LOG'], `${result.url}\n`);
  return result;
}
