import type { MailMessage } from './types.js';

/**
 * Every mail Gatehouse sends, as plain text and HTML. Values are HTML-escaped; links are built
 * by the caller from PUBLIC_URL (or PASSWORD_RESET_URL) and carry the one-time token.
 */
export type MailTemplate =
  | { template: 'verify_email'; code: string; link: string; ttlMinutes: number }
  | { template: 'reset_password'; code: string; link: string; ttlMinutes: number }
  | { template: 'change_email'; code: string; link: string; ttlMinutes: number; newEmail: string }
  | { template: 'email_change_requested'; newEmail: string }
  | { template: 'password_changed' }
  | { template: 'password_reset' }
  | { template: 'account_locked'; lockedMinutes: number }
  | { template: 'mfa_enabled' }
  | { template: 'mfa_disabled' }
  | { template: 'invite'; code: string; link: string; ttlDays: number };

export type MailTemplateName = MailTemplate['template'];

interface Content {
  subject: string;
  paragraphs: string[];
  code?: string;
  link?: { href: string; label: string };
}

const NOT_YOU =
  'If you did not ask for this, you can ignore this mail; nothing changes without the code.';
const SECURITY =
  'If this was not you, reset your password now and review your sessions: someone may know your password.';

function content(mail: MailTemplate): Content {
  switch (mail.template) {
    case 'verify_email':
      return {
        subject: 'Confirm your email address',
        paragraphs: [
          'Confirm your email address with this code, or open the link below.',
          `The code and the link expire in ${mail.ttlMinutes} minutes and work once.`,
          NOT_YOU,
        ],
        code: mail.code,
        link: { href: mail.link, label: 'Confirm my email address' },
      };
    case 'reset_password':
      return {
        subject: 'Reset your password',
        paragraphs: [
          'Someone (hopefully you) asked to reset the password of your account.',
          `Use this code, or open the link below, within ${mail.ttlMinutes} minutes. It works once.`,
          NOT_YOU,
        ],
        code: mail.code,
        link: { href: mail.link, label: 'Choose a new password' },
      };
    case 'change_email':
      return {
        subject: 'Confirm your new email address',
        paragraphs: [
          `Confirm ${mail.newEmail} as the new email address of your account with this code, or open the link below.`,
          `The code and the link expire in ${mail.ttlMinutes} minutes and work once.`,
          NOT_YOU,
        ],
        code: mail.code,
        link: { href: mail.link, label: 'Confirm my new email address' },
      };
    case 'email_change_requested':
      return {
        subject: 'Your email address is being changed',
        paragraphs: [
          `A change of your account's email address to ${mail.newEmail} was requested. It takes effect once the new address is confirmed.`,
          SECURITY,
        ],
      };
    case 'password_changed':
      return {
        subject: 'Your password was changed',
        paragraphs: ['The password of your account was just changed.', SECURITY],
      };
    case 'password_reset':
      return {
        subject: 'Your password was reset',
        paragraphs: [
          'The password of your account was just reset, and every session was signed out.',
          SECURITY,
        ],
      };
    case 'account_locked':
      return {
        subject: 'Sign-in to your account was locked',
        paragraphs: [
          `After several failed sign-in attempts, sign-in to your account is locked for ${mail.lockedMinutes} minutes. If this was you, wait and try again, or reset your password.`,
          SECURITY,
        ],
      };
    case 'mfa_enabled':
      return {
        subject: 'Two-step verification was turned on',
        paragraphs: [
          'Two-step verification was just turned on for your account: signing in now also asks for a code from your authenticator app.',
          SECURITY,
        ],
      };
    case 'mfa_disabled':
      return {
        subject: 'Two-step verification was turned off',
        paragraphs: [
          'Two-step verification was just turned off for your account: signing in now needs only the password.',
          SECURITY,
        ],
      };
    case 'invite':
      return {
        subject: 'You have been invited: choose your password',
        paragraphs: [
          'An administrator created an account for you. Choose your password with the link below, or with this code and your email address.',
          `The link and the code expire in ${mail.ttlDays} days and work once. Choosing the password also confirms this email address.`,
          'If you did not expect this invitation, you can ignore this mail; nobody can sign in without the password you choose.',
        ],
        code: mail.code,
        link: { href: mail.link, label: 'Choose my password' },
      };
  }
}

export function renderMail(to: string, mail: MailTemplate): MailMessage {
  const c = content(mail);
  const text = [
    ...c.paragraphs.slice(0, 1),
    ...(c.code ? [`Your code: ${c.code}`] : []),
    ...(c.link ? [`${c.link.label}: ${c.link.href}`] : []),
    ...c.paragraphs.slice(1),
  ].join('\n\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">',
    `<p>${escapeHtml(c.paragraphs[0] ?? '')}</p>`,
    c.code
      ? `<p style="font-size:24px;letter-spacing:4px"><strong>${escapeHtml(c.code)}</strong></p>`
      : '',
    c.link ? `<p><a href="${escapeHtml(c.link.href)}">${escapeHtml(c.link.label)}</a></p>` : '',
    ...c.paragraphs.slice(1).map((p) => `<p>${escapeHtml(p)}</p>`),
    '</body></html>',
  ].join('\n');
  return { to, subject: c.subject, text: `${text}\n`, html };
}

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );
}
