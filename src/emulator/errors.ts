// Errors as the AmplifyBackend service sends them: a status, the `x-amzn-ErrorType` header the
// SDKs read the exception name from, and a JSON body with `message` plus modelled extra members.

export class ServiceError extends Error {
  constructor(
    readonly errorType: string,
    readonly status: number,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
    this.name = errorType;
  }

  body(): Record<string, string> {
    return { message: this.message, ...this.extra };
  }
}

export const badRequest = (message: string) => new ServiceError('BadRequestException', 400, message);

export const notFound = (resourceType: string, message: string) =>
  new ServiceError('NotFoundException', 404, message, { resourceType });

export const tooManyRequests = (message = 'Rate exceeded') =>
  new ServiceError('TooManyRequestsException', 429, message, { limitType: 'api' });

export const gatewayTimeout = (message = 'Endpoint request timed out') =>
  new ServiceError('GatewayTimeoutException', 504, message);

// The real service answers a second job on a busy app+environment with this unmodelled 400.
export const pendingJob = () =>
  new ServiceError('ValidationException', 400, 'There is already a pending job for the requested appId');
