/**
 * The few errors domain code throws on purpose. The API turns each into an RFC 7807 problem; anything
 * else that escapes is a bug and answers 500.
 */

export interface FieldError {
  field: string;
  message: string;
}

export class NotFoundError extends Error {
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} ${id} does not exist`);
    this.name = 'NotFoundError';
  }
}

/** The request is well-formed but clashes with what is stored (a booking overlap, a duplicate code…). */
export class ConflictError extends Error {
  constructor(
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** One or more fields are wrong; each is named. */
export class ValidationError extends Error {
  constructor(
    readonly errors: FieldError[],
    message = 'the request has invalid fields',
  ) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** The resource exists but its state does not allow this (e.g. editing a meeting that has ended). */
export class InvalidStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidStateError';
  }
}
