/** The one base class of @sinet/track-processor's errors: bad input, state or an environment the caller can act on. */
export type TrackProcessorErrorCode = 'INPUT' | 'UNSUPPORTED' | 'STATE' | 'WORKER';

export class TrackProcessorError extends Error {
  constructor(
    message: string,
    readonly code: TrackProcessorErrorCode,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
