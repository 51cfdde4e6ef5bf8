/** The one base class of @sinet/losses's errors: bad input or state the caller can fix, never a bug. `code` tells them apart without string-matching names. */
export type LossesErrorCode = 'CONFIG' | 'INPUT' | 'LABEL_SHAPE';

export class LossesError extends Error {
  constructor(
    message: string,
    readonly code: LossesErrorCode,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
