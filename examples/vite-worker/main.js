// The page: a photo picked, sent to the worker, its cut-out drawn. tfjs and the model live in the worker only.
const worker = new Worker(new URL('./segment-worker.js', import.meta.url), { type: 'module' });
const status = document.querySelector('#status');
const picker = document.querySelector('#photo');
const canvas = document.querySelector('#result');

worker.addEventListener('message', ({ data: reply }) => {
  if (reply.type === 'ready') {
    status.textContent = `Pick a photo (${reply.backend}).`;
    picker.disabled = false;
  } else if (reply.type === 'cutout') {
    Object.assign(canvas, { width: reply.width, height: reply.height });
    canvas.getContext('2d').putImageData(new ImageData(reply.data, reply.width, reply.height), 0, 0);
    status.textContent = `${reply.name}: ${reply.width} x ${reply.height}, person ${(100 * reply.personShare).toFixed(1)}% of the photo.`;
  } else {
    status.textContent = reply.message;
  }
});

picker.addEventListener('change', async () => {
  const file = picker.files?.[0];
  if (!file) return;
  status.textContent = `Segmenting ${file.name}…`;
  try {
    const photo = await createImageBitmap(file); // its natural size; transferred, not copied
    worker.postMessage({ type: 'segment', name: file.name, photo }, [photo]);
  } catch (e) {
    status.textContent = `Could not read ${file.name}: ${e.message}`;
  }
});
