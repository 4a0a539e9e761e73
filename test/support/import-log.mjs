// `node --import tsx --import ./test/support/import-log.mjs ...`: appends the URL of every module the process loads
// to the file named by env TGSAGE_IMPORT_LOG (module hooks run in their own thread, so they write to a file).
import { register } from 'node:module';

if (process.env['TGSAGE_IMPORT_LOG']) register('./import-log-hooks.mjs', import.meta.url);
