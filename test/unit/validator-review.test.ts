import { describe, expect, it } from 'vitest';
import { validationReview } from '../../src/controlplane/validator/review.js';
import type { ReviewedObject, Verdict } from '../../src/controlplane/validator/rules.js';

const review = (request: Record<string, unknown>) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'e911857d-c318-11e8-bbad-025000000001', ...request },
});

const createIngressBackend = {
  operation: 'CREATE',
  kind: { group: 'policy.openservicemesh.io', version: 'v1alpha1', kind: 'IngressBackend' },
  namespace: 'sample1',
  object: { metadata: { name: 'aks-helloworld' }, spec: {} },
};

describe('the validating webhook’s AdmissionReview v1', () => {
  it('hands the validator the kind and the object, its namespace and apiVersion filled in from the request', () => {
    const seen: ReviewedObject[] = [];
    const answer = validationReview(review(createIngressBackend), (reviewed) => {
      seen.push(reviewed);
      return { allowed: true };
    });
    expect(seen).toEqual([
      {
        group: 'policy.openservicemesh.io',
        version: 'v1alpha1',
        kind: 'IngressBackend',
        object: {
          apiVersion: 'policy.openservicemesh.io/v1alpha1',
          kind: 'IngressBackend',
          metadata: { name: 'aks-helloworld', namespace: 'sample1' },
          spec: {},
        },
      },
    ]);
    expect(answer).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'e911857d-c318-11e8-bbad-025000000001', allowed: true },
    });
  });

  it('refuses with the reason as status.message, keeping the uid, as OSM answers', () => {
    const refuse = (): Verdict => ({
      allowed: false,
      message: "Expected 'port.protocol' to be 'http' or 'https', got: grpc",
    });
    expect(validationReview(review(createIngressBackend), refuse).response).toEqual({
      uid: 'e911857d-c318-11e8-bbad-025000000001',
      allowed: false,
      status: { metadata: {}, message: "Expected 'port.protocol' to be 'http' or 'https', got: grpc" },
    });
  });

  it('admits a DELETE without asking the validator, and refuses a review without a request or an object', () => {
    const never = (): Verdict => {
      throw new Error('the validator was asked');
    };
    expect(
      validationReview(review({ ...createIngressBackend, operation: 'DELETE', object: null }), never).response,
    ).toEqual({
      uid: 'e911857d-c318-11e8-bbad-025000000001',
      allowed: true,
    });
    expect(
      validationReview({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, never).response,
    ).toMatchObject({
      uid: '',
      allowed: false,
      status: { message: 'the AdmissionReview has no request' },
    });
    expect(validationReview(review({ ...createIngressBackend, object: undefined }), never).response).toMatchObject({
      allowed: false,
      status: { message: 'the CREATE request carries no object' },
    });
  });
});
