/* global SelfieSegmentation -- defined by ./mp/selfie_segmentation.js, loaded before this script */
// Feeds the camera to MediaPipe's SelfieSegmentation (landscape model, as for webcams), one frame
// in flight at a time and paced by the video's frames, as the demo's live view does.
window.bench = { frames: 0, latencies: [], ready: false, error: null };
(async () => {
  try {
    const video = document.getElementById('video');
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    await video.play();
    const segmenter = new SelfieSegmentation({ locateFile: (file) => `./mp/${file}` });
    segmenter.setOptions({ modelSelection: 1 });
    segmenter.onResults(() => {});
    await segmenter.initialize();
    window.bench.ready = true;
    const next = () => new Promise((resolve) => (video.requestVideoFrameCallback ? video.requestVideoFrameCallback(() => resolve()) : requestAnimationFrame(() => resolve())));
    for (;;) {
      await next();
      const started = performance.now();
      await segmenter.send({ image: video });
      window.bench.latencies.push(performance.now() - started);
      window.bench.frames++;
    }
  } catch (e) {
    window.bench.error = String((e && e.message) || e);
  }
})();
