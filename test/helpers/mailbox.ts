import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** A mail as a test reads it: headers of interest and the decoded text and HTML bodies. */
export interface ReadMail {
  file?: string;
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  raw: string;
}

/** Every `.eml` in the file mailbox, oldest first. */
export function readMailbox(directory: string): ReadMail[] {
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => name.endsWith('.eml'));
  } catch {
    return [];
  }
  return names
    .map((name) => path.join(directory, name))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs)
    .map((file) => ({ ...parseMail(readFileSync(file, 'utf8')), file }));
}

/** Mail to `address` (case-insensitive), oldest first. */
export function mailTo(mails: ReadMail[], address: string): ReadMail[] {
  return mails.filter((m) => m.to.toLowerCase().includes(address.toLowerCase()));
}

/** The six-digit code and the link token of a verification, reset or change mail. */
export function secretsOf(mail: ReadMail): { code: string; token: string; link: string } {
  const code = /Your code: (\d{6})/.exec(mail.text)?.[1];
  const link = /(https?:\/\/\S+\?token=[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
  const token = link ? new URL(link).searchParams.get('token') : null;
  if (!code || !link || !token) throw new Error(`no code or link in mail: ${mail.text}`);
  return { code, token, link };
}

/** A minimal RFC 5322 / MIME reader: enough for what nodemailer writes. */
export function parseMail(raw: string): Omit<ReadMail, 'file'> {
  const { headers, body } = split(raw);
  const result = { to: '', from: '', subject: '', text: '', html: '', raw };
  result.to = headers.get('to') ?? '';
  result.from = headers.get('from') ?? '';
  result.subject = decodeWords(headers.get('subject') ?? '');
  collect(headers, body, result);
  return result;
}

function split(raw: string): { headers: Map<string, string>; body: string } {
  const normalized = raw.replace(/\r\n/g, '\n');
  const end = normalized.indexOf('\n\n');
  const head = end === -1 ? normalized : normalized.slice(0, end);
  const body = end === -1 ? '' : normalized.slice(end + 2);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function collect(
  headers: Map<string, string>,
  body: string,
  into: { text: string; html: string },
): void {
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (type.toLowerCase().startsWith('multipart/') && boundary) {
    for (const part of body.split(`--${boundary}`).slice(1)) {
      if (part.startsWith('--')) break;
      const inner = split(part.replace(/^\n/, ''));
      collect(inner.headers, inner.body, into);
    }
    return;
  }
  const decoded = decodeBody(body, headers.get('content-transfer-encoding') ?? '7bit');
  if (type.toLowerCase().startsWith('text/html')) into.html += decoded;
  else if (type.toLowerCase().startsWith('text/plain')) into.text += decoded;
}

function decodeBody(body: string, encoding: string): string {
  switch (encoding.toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable': {
      const bytes = body
        .replace(/=\n/g, '')
        .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      return Buffer.from(bytes, 'latin1').toString('utf8');
    }
    default:
      return body;
  }
}

/** RFC 2047 encoded words; adjacent ones join (a character may straddle two of them). */
function decodeWords(value: string): string {
  const joined = value.replace(/\?=\s+=\?/g, '?==?');
  return joined.replace(/(=\?utf-8\?[QB]\?[^?]*\?=)+/gi, (run) => {
    const bytes: Buffer[] = [];
    for (const [, mode, text] of run.matchAll(/=\?utf-8\?([QB])\?([^?]*)\?=/gi)) {
      bytes.push(
        mode!.toUpperCase() === 'B'
          ? Buffer.from(text!, 'base64')
          : Buffer.from(
              text!
                .replace(/_/g, ' ')
                .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) =>
                  String.fromCharCode(parseInt(hex, 16)),
                ),
              'latin1',
            ),
      );
    }
    return Buffer.concat(bytes).toString('utf8');
  });
}
