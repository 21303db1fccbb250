import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { problemsOf } from '../test/helpers/config.js';

describe('operations configuration', () => {
  it('defaults: tracing and Sentry off, 25 s to shut down', () => {
    const config = loadConfig({});
    expect(config.telemetry).toEqual({
      otlpEndpoint: undefined,
      sentryDsn: undefined,
      environment: 'production',
    });
    expect(config.shutdown.timeoutSeconds).toBe(25);
  });

  it('turns tracing on from the standard OTLP variables; OTEL_SDK_DISABLED wins', () => {
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).telemetry.otlpEndpoint,
    ).toBe('http://collector:4318');
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/v1/traces',
      }).telemetry.otlpEndpoint,
    ).toBe('https://traces.example.com/v1/traces');
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_SDK_DISABLED: 'true',
      }).telemetry.otlpEndpoint,
    ).toBeUndefined();
  });

  it('takes the Sentry environment from SENTRY_ENVIRONMENT, else NODE_ENV', () => {
    expect(loadConfig({ NODE_ENV: 'staging' }).telemetry.environment).toBe('staging');
    expect(
      loadConfig({ NODE_ENV: 'staging', SENTRY_ENVIRONMENT: 'eu-prod' }).telemetry.environment,
    ).toBe('eu-prod');
  });

  it('reports bad values one line each, never echoing a DSN', () => {
    const problems = problemsOf({
      SENTRY_DSN: 'publickey-s3cr3t@sentry.example.com/1',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
      SHUTDOWN_TIMEOUT_SECONDS: '0',
    });
    expect(problems).toHaveLength(3);
    expect(problems).toContain('SHUTDOWN_TIMEOUT_SECONDS: must be between 1 and 600, got 0');
    expect(problems.some((p) => p.startsWith('SENTRY_DSN: '))).toBe(true);
    expect(problems.some((p) => p.startsWith('OTEL_EXPORTER_OTLP_ENDPOINT: '))).toBe(true);
    expect(problems.join('\n')).not.toContain('s3cr3t');
  });
});
