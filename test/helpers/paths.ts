import path from 'node:path';

export const TMP_ROOT = path.resolve('.tmp/test');
/** Migrated PGlite data directory, dumped once per run by global-setup. */
export const PGLITE_TEMPLATE = path.join(TMP_ROOT, 'pglite-template.tar');
