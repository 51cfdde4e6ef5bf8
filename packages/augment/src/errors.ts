/** The one base class of @sinet/augment's errors: bad input or state the caller can fix, never a bug. `code` tells them apart without string-matching names. */
export type AugmentErrorCode = 'PARAM' | 'INPUT' | 'LOAD';

export class AugmentError extends Error {
  constructor(
    message: string,
    readonly code: AugmentErrorCode,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
