import path from 'node:path';

/** The project's research data beside the checkout (read-only): $SINET_SHARED, else ../shared from the working folder. */
export function sharedDir(): string {
  return process.env.SINET_SHARED ? path.resolve(process.env.SINET_SHARED) : path.resolve('..', 'shared');
}
