/**
 * Every package's vitest setup file. tfjs-backend-cpu prints a multi-line "install tfjs-node"
 * banner on each cpu backend's first use in Node, once per test file: noise in test output (the
 * CLI's own backend notice says what runs and skips the banner the same way).
 */
const TFJS_NODE_BANNER = 'looks like you are running TensorFlow.js in Node.js';
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes(TFJS_NODE_BANNER)) return;
  warn(...args);
};
