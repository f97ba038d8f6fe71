import { describe, expect, it } from 'vitest';
import { redactBody } from '../../src/azure/redact.js';

describe('--debug redaction of template deployments', () => {
  it('redacts the values of parameters the template declares secure, whatever their names', () => {
    const body = JSON.stringify({
      properties: {
        mode: 'Incremental',
        template: {
          parameters: {
            adminPassword: { type: 'secureString' },
            token: { type: 'SecureObject' },
            cluster: { type: 'string' },
          },
          resources: [],
        },
        parameters: {
          AdminPassword: { value: 'hunter2' },
          token: { value: { a: 'b-secret' } },
          cluster: { value: 'arc-cluster' },
        },
      },
    });
    const redacted = redactBody(body) as string;
    expect(redacted).not.toContain('hunter2');
    expect(redacted).not.toContain('b-secret');
    expect(JSON.parse(redacted).properties.parameters).toEqual({
      AdminPassword: { value: '<redacted>' },
      token: { value: '<redacted>' },
      cluster: { value: 'arc-cluster' },
    });
  });
});
