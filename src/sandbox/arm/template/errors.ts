/**
 * ARM's template errors. Every message starts as ARM's do ("Deployment template validation failed: '…'.")
 * so that a user who searches the text finds ARM's documentation for it.
 */
export class TemplateError extends Error {
  constructor(
    /**
     * `InvalidTemplate` (the template itself is wrong), `InvalidTemplateDeployment` (the parameters are), or
     * `DeploymentJobSizeExceeded` (the template is too large once expanded).
     */
    readonly code: 'InvalidTemplate' | 'InvalidTemplateDeployment' | 'DeploymentJobSizeExceeded',
    message: string,
  ) {
    super(message);
  }
}

export const EXPRESSIONS_HELP = 'Please see https://aka.ms/arm-template-expressions for usage details.';
export const PARAMETER_FILE_HELP = 'Please see https://aka.ms/arm-create-parameter-file for usage details.';
export const RESOURCES_HELP = 'Please see https://aka.ms/arm-syntax-resources for usage details.';

export function validationFailed(inner: string): TemplateError {
  return new TemplateError('InvalidTemplate', `Deployment template validation failed: '${inner}'.`);
}

/** A problem inside one expression, before we know where in the template it sits. */
export class ExpressionError extends Error {}

/**
 * `reference()` of a resource whose state is not known yet. ARM evaluates outputs after the resources are
 * deployed; the sandbox does too (outputs only: a reference() in a resource is refused with this message).
 */
export class DeferredReference extends ExpressionError {
  constructor(
    readonly id: string,
    readonly apiVersion: string,
  ) {
    super(
      `The template function 'reference' is supported by the sandbox in outputs only, where it reads '${id}' once the deployment's resources are deployed.`,
    );
  }
}
