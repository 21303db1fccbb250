import { describe, expect, it } from 'vitest';
import { escapeHtml, renderMail } from './templates.js';

describe('mail templates', () => {
  it('put the code and the link in both bodies', () => {
    const mail = renderMail('a@example.com', {
      template: 'verify_email',
      code: '042917',
      link: 'https://id.example.com/api/v1/auth/verify-email?token=abc_DEF-1',
      ttlMinutes: 15,
    });
    expect(mail.to).toBe('a@example.com');
    expect(mail.subject).toBe('Confirm your email address');
    expect(mail.text).toContain('Your code: 042917');
    expect(mail.text).toContain('https://id.example.com/api/v1/auth/verify-email?token=abc_DEF-1');
    expect(mail.text).toContain('15 minutes');
    expect(mail.html).toContain('042917');
    expect(mail.html).toContain(
      'href="https://id.example.com/api/v1/auth/verify-email?token=abc_DEF-1"',
    );
  });

  it('escape what they interpolate into HTML', () => {
    const mail = renderMail('a@example.com', {
      template: 'email_change_requested',
      newEmail: '"><script>x</script>@evil.example',
    });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;');
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('security notices carry no code and no link', () => {
    for (const template of ['password_changed', 'password_reset'] as const) {
      const mail = renderMail('a@example.com', { template });
      expect(mail.text).not.toMatch(/\d{6}/);
      expect(mail.text).not.toContain('http');
    }
  });

  it('an invitation carries the code, the link and its validity in days', () => {
    const mail = renderMail('new@example.com', {
      template: 'invite',
      code: '550012',
      link: 'https://id.example.com/reset-password?token=inv_1',
      ttlDays: 7,
    });
    expect(mail.subject).toMatch(/invited/);
    expect(mail.text).toContain('Your code: 550012');
    expect(mail.text).toContain('https://id.example.com/reset-password?token=inv_1');
    expect(mail.text).toContain('7 days');
    expect(mail.html).toContain('href="https://id.example.com/reset-password?token=inv_1"');
  });
});
