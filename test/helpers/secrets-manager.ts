import http from 'node:http';

/**
 * A local stand-in for AWS Secrets Manager that answers GetSecretValue (JSON 1.1 protocol) from
 * a map of secret strings; unknown names get ResourceNotFoundException, as AWS answers.
 */
export interface SecretsManagerStandIn {
  url: string;
  requests: { target: string; secretId: string; signed: boolean }[];
  close(): Promise<void>;
}

export async function startSecretsManager(
  secrets: Record<string, string>,
): Promise<SecretsManagerStandIn> {
  const requests: SecretsManagerStandIn['requests'] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const { SecretId = '' } = JSON.parse(body || '{}') as { SecretId?: string };
      requests.push({
        target,
        secretId: SecretId,
        signed: String(request.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256'),
      });
      const reply = (status: number, payload: unknown, errorType?: string) => {
        response.writeHead(status, {
          'content-type': 'application/x-amz-json-1.1',
          ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
        });
        response.end(JSON.stringify(payload));
      };
      if (target !== 'secretsmanager.GetSecretValue') {
        reply(400, { __type: 'UnknownOperationException' }, 'UnknownOperationException');
        return;
      }
      const value = secrets[SecretId];
      if (value === undefined) {
        reply(
          400,
          {
            __type: 'ResourceNotFoundException',
            message: "Secrets Manager can't find the specified secret.",
          },
          'ResourceNotFoundException',
        );
        return;
      }
      reply(200, {
        ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${SecretId}-AbCdEf`,
        Name: SecretId,
        SecretString: value,
        VersionId: '00000000-0000-0000-0000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
