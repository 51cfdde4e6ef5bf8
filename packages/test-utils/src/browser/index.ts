/** Browser-test helpers: Debian's Chromium, a static server for built pages, fake-camera videos. */
export { CHROMIUM, haveChromium, launchChromium } from './chromium.js';
export { serveStatic, type StaticServer } from './static-server.js';
export { photosToY4m } from './y4m.js';
