import { customType, timestamp } from 'drizzle-orm/pg-core';

/** Case-insensitive text: uniqueness of emails and usernames ignores case in the database itself. */
export const citext = customType<{ data: string }>({ dataType: () => 'citext' });

export const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
