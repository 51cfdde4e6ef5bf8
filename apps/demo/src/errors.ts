/** The demo's one error class: what the visitor can fix or the browser cannot do, shown on the page as one line. `code` tells them apart. */
export type DemoErrorCode = 'IMAGE_FILE' | 'INPUT' | 'BACKEND' | 'MODEL_SOURCE' | 'PAGE';

export class DemoError extends Error {
  constructor(
    message: string,
    readonly code: DemoErrorCode,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
