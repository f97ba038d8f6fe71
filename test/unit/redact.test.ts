import { describe, expect, it } from 'vitest';
import { REDACTED, redactBody, redactEnvironmentSecrets, redactHeaders, redactUrl } from '../../src/azure/redact.js';
import { toArcmeshError } from '../../src/azure/errors.js';

describe('redaction for --debug', () => {
  it('never shows a token or a protected setting, but keeps which keys were sent', () => {
    const body = JSON.stringify({
      properties: {
        configurationSettings: { 'osm.osm.enablePermissiveTrafficPolicy': 'false' },
        configurationProtectedSettings: { 'osm.osm.secretKey': 's3cr3t' },
      },
    });
    const shown = redactBody(body) ?? '';
    expect(shown).not.toContain('s3cr3t');
    expect(shown).toContain('osm.osm.secretKey');
    expect(shown).toContain('enablePermissiveTrafficPolicy');
    expect(
      redactHeaders([
        ['Authorization', 'Bearer abc'],
        ['x-ms-request-id', '1'],
      ]),
    ).toEqual({
      Authorization: '<redacted>',
      'x-ms-request-id': '1',
    });
    expect(redactBody('grant_type=client_credentials&client_secret=hunter2&scope=x')).not.toContain('hunter2');
    expect(redactBody(JSON.stringify({ access_token: 'eyJ', token_type: 'Bearer' }))).not.toContain('eyJ');
    expect(redactUrl('https://x/operations/1?api-version=2025-03-01&t=1&s=sig&h=hash')).not.toMatch(/s=sig|h=hash/);
  });
});

describe('SDK errors become arcmesh errors', () => {
  it('maps 404 to not found (exit 3) and keeps the ARM code', () => {
    const error = toArcmeshError(
      Object.assign(new Error('The Resource was not found'), { statusCode: 404, code: 'ResourceNotFound' }),
      { action: 'show extension osm' },
    );
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain('(ResourceNotFound)');
  });

  it('maps a failed long-running operation to exit 1 with its code and message', () => {
    const error = toArcmeshError(
      new Error('The long-running operation has failed. ExtensionOperationFailed. Helm installation failed'),
      { action: 'create extension osm' },
    );
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('ExtensionOperationFailed');
    expect(error.message).toContain('Helm installation failed');
  });

  it('maps an abort to interrupted (exit 130)', () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(toArcmeshError(abort, { action: 'wait' }).exitCode).toBe(130);
  });
});

describe('credential secrets from the environment', () => {
  const secret = 'a+b/c d&e=f~';
  const env = { AZURE_CLIENT_SECRET: secret, AZURE_CLIENT_ID: 'client' };

  it('are redacted as given, URI-encoded and form-encoded, wherever a message repeats them', () => {
    const echoed = [secret, encodeURIComponent(secret), new URLSearchParams({ client_secret: secret }).toString()];
    const shown = redactEnvironmentSecrets(`AADSTS7000215: ${echoed.join(' | ')}`, env);
    expect(shown).toBe(`AADSTS7000215: ${REDACTED} | ${REDACTED} | client_secret=${REDACTED}`);
  });

  it('leave other text, and other variables, alone', () => {
    expect(redactEnvironmentSecrets('client_id=client', env)).toBe('client_id=client');
    expect(redactEnvironmentSecrets('nothing set', {})).toBe('nothing set');
  });
});
