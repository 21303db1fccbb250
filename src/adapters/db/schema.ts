/**
 * The whole database schema, as drizzle-kit reads it (`drizzle.config.ts`): each table is
 * declared beside the module that owns it, whose repository is the only code that queries it
 * (the lint rule in eslint.config.js keeps other modules out). `drizzle-kit generate` turns
 * changes into SQL under migrations/.
 */
export * from '../../modules/account/schema.js';
export * from '../../modules/sessions/schema.js';
export * from '../keys/schema.js';
export * from '../../modules/lockout/schema.js';
export * from '../../modules/audit/schema.js';
export * from '../../modules/verification/schema.js';
export * from '../../modules/mfa/schema.js';
export * from '../../modules/events/schema.js';
export * from '../../modules/rbac/schema.js';
