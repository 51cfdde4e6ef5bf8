/* global SelfieSegmentation -- defined by ./mp/selfie_segmentation.js, loaded before this script */
// MediaPipe's selfie segmenter as a video-call app uses it (one frame in flight, paced by the
// camera's frames, on the main thread), its mask drawn over the frame as its samples do. The
// masks, scaled to the frame as drawn, are measured as the call page measures SINet's output.
window.mp = { frames: 0, presented: 0, latencies: [], ready: false, error: null, startedAt: 0, firstFrameAt: 0, masks: [] };
window.startMediapipe = async (modelSelection) => {
  const mp = window.mp;
  try {
    mp.startedAt = performance.now();
    const video = document.getElementById('video');
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, frameRate: 30 }, audio: false });
    await video.play();
    const output = document.getElementById('output');
    output.width = 640;
    output.height = 480;
    const ctx = output.getContext('2d');
    const probe = new OffscreenCanvas(640, 480).getContext('2d', { willReadFrequently: true });
    const segmenter = new SelfieSegmentation({ locateFile: (file) => `./mp/${file}` });
    segmenter.setOptions({ modelSelection, selfieMode: false });
    segmenter.onResults((results) => {
      // The samples' compositing: the mask, then the frame where it is, then the background.
      ctx.save();
      ctx.clearRect(0, 0, 640, 480);
      ctx.drawImage(results.segmentationMask, 0, 0, 640, 480);
      ctx.globalCompositeOperation = 'source-in';
      ctx.drawImage(results.image, 0, 0, 640, 480);
      ctx.globalCompositeOperation = 'destination-over';
      ctx.fillStyle = '#00b140';
      ctx.fillRect(0, 0, 640, 480);
      ctx.restore();
      if (!mp.firstFrameAt) mp.firstFrameAt = performance.now();
      if (mp.keep > 0) {
        probe.clearRect(0, 0, 640, 480);
        probe.drawImage(results.segmentationMask, 0, 0, 640, 480);
        const rgba = probe.getImageData(0, 0, 640, 480).data;
        // The mask's confidence is in its alpha (what 'source-in' uses).
        mp.masks.push(Uint8Array.from({ length: 640 * 480 }, (_, i) => rgba[4 * i + 3]));
        mp.keep--;
      }
    });
    await segmenter.initialize();
    mp.ready = true;
    // The loop runs on: startMediapipe resolves once the model is ready.
    const step = async () => {
      const started = performance.now();
      try {
        await segmenter.send({ image: video });
      } catch (e) {
        mp.error = String((e && e.message) || e);
        return;
      }
      mp.latencies.push(performance.now() - started);
      mp.frames++;
      mp.presented++;
      video.requestVideoFrameCallback(() => void step());
    };
    video.requestVideoFrameCallback(() => void step());
  } catch (e) {
    mp.error = String((e && e.message) || e);
  }
};
/** The next `count` masks' soft band and flips, as the call page's measureFrames. */
window.measureMediapipe = async (count) => {
  const mp = window.mp;
  mp.masks = [];
  mp.keep = count;
  while (mp.masks.length < count) await new Promise((r) => setTimeout(r, 50));
  const band = [];
  const flips = [];
  let previous = null;
  for (const alpha of mp.masks) {
    let soft = 0;
    for (const a of alpha) if (a > 25 && a < 230) soft++;
    band.push(soft / alpha.length);
    if (previous) {
      let flipped = 0;
      for (let i = 0; i < alpha.length; i++) if (alpha[i] > 127 !== previous[i] > 127) flipped++;
      flips.push(flipped / alpha.length);
    }
    previous = alpha;
  }
  return { band, flips, lastMask: Array.from(previous, (a) => (a > 127 ? 1 : 0)) };
};
