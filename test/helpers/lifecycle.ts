import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { mailboxDirectory } from '../../src/adapters/mail/index.js';
import { json, newAccount, post, type TestApp } from './app.js';
import { mailTo, readMailbox, secretsOf, type ReadMail } from './mailbox.js';

/** Mail delivered so far to `address` through the file mailbox (runs the relay first). */
export async function deliveredTo(t: TestApp, address: string): Promise<ReadMail[]> {
  await t.deliver();
  return mailTo(readMailbox(mailboxDirectory(t.config)), address);
}

/** The newest mail to `address` with this subject; fails the test when there is none. */
export async function lastMail(t: TestApp, address: string, subject: RegExp): Promise<ReadMail> {
  const mails = (await deliveredTo(t, address)).filter((m) => subject.test(m.subject));
  expect(mails.length, `no mail "${subject}" to ${address}`).toBeGreaterThan(0);
  return mails[mails.length - 1]!;
}

export async function registerUser(app: FastifyInstance, account = newAccount()) {
  const response = await post(app, '/auth/register', account);
  expect(response.statusCode, response.body).toBe(201);
  return { account, user: json(response).user as { id: string; email: string } };
}

export async function verificationSecrets(t: TestApp, email: string) {
  return secretsOf(await lastMail(t, email, /Confirm your email address/));
}

export function eventsOf(t: TestApp, type: string, subject?: string) {
  return t.events.filter((e) => e.type === type && (!subject || e.subject === subject));
}
