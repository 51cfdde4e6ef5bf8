/**
 * Model files are untrusted input: people load models that others trained and shared. What
 * every loader (model folders in Node, URLs and picked files in browsers) checks before tfjs
 * sees a byte:
 * - model.json is at most MODEL_LIMITS.modelJsonBytes and is a tfjs layers model with a
 *   well-formed weights manifest (names, shapes, dtypes; at most MODEL_LIMITS.weightBytes);
 * - weights paths are plain relative paths inside the model's folder (no '..', no absolute
 *   paths or URLs); the loaders add what their medium needs (symlinks, origins);
 * - the weights hold exactly the bytes the manifest declares;
 * - a SINet model (userDefinedMetadata.sinet) is rebuilt from its validated metadata and gets
 *   the file's weights by name: its topology JSON is never deserialised, so it cannot ask
 *   for giant layers.
 */
import * as tf from '@sinet/layers/tfjs';
import { createSINet } from './architecture.js';
import { setSINetMetadata, validateSINetMetadata } from './metadata.js';
import { ModelError } from './errors.js';

export const MODEL_LIMITS = {
  /** model.json: topology and metadata of a SINet are ~100 KB. */
  modelJsonBytes: 16 * 2 ** 20,
  /** All weights of one model (a SINet's are 0.4 MB in float32). */
  weightBytes: 256 * 2 ** 20,
  /** Weight files (shards) and weight entries of one model. */
  weightFiles: 1000,
  weightEntries: 100_000,
} as const;

export class ModelFileError extends ModelError {
  constructor(message: string) {
    super(message, 'MODEL_FILE');
  }
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/** One manifest group: its files and the bytes its weights need, in order. */
export interface WeightGroup {
  paths: string[];
  bytes: number;
}

export interface CheckedModelJson {
  json: tf.io.ModelJSON;
  specs: tf.io.WeightsManifestEntry[];
  groups: WeightGroup[];
  /** Bytes all weights need. */
  bytes: number;
}

/**
 * A weights path must be relative and stay inside the model's folder: no absolute path, no
 * URL or drive, no '..', '.' or empty segment, no backslash or control character.
 */
export function checkWeightsPath(p: unknown, where: string): string {
  const bad = (why: string): never => {
    throw new ModelFileError(`${where}: weights path ${JSON.stringify(p)?.slice(0, 200)} ${why}`);
  };
  if (typeof p !== 'string' || p.length === 0 || p.length > 1000) return bad('is not a file name');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\\]/.test(p)) return bad('has a backslash or a control character');
  if (p.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(p)) return bad('is absolute (weights must lie in the model folder)');
  if (p.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) return bad('leaves the model folder or has an empty segment');
  return p;
}

function checkSpec(spec: unknown, where: string): { spec: tf.io.WeightsManifestEntry; bytes: number } {
  const s = spec as tf.io.WeightsManifestEntry;
  const name = typeof s?.name === 'string' ? s.name.slice(0, 200) : '?';
  const fail = (why: string): never => {
    throw new ModelFileError(`${where}: weight '${name}' ${why}`);
  };
  if (!s || typeof s !== 'object' || typeof s.name !== 'string' || s.name.length === 0 || s.name.length > 1000) return fail('has no valid name');
  if (!Array.isArray(s.shape) || s.shape.length > 8 || s.shape.some((d) => !Number.isInteger(d) || d < 0 || d > 2 ** 31)) return fail('has no valid shape');
  const size = s.shape.reduce((n, d) => n * d, 1);
  if (!(s.dtype in DTYPE_BYTES)) return fail(`has unsupported dtype ${JSON.stringify(s.dtype)?.slice(0, 40)}`);
  let perElement = DTYPE_BYTES[s.dtype]!;
  if (s.quantization !== undefined) {
    const q = s.quantization;
    if (!q || typeof q !== 'object' || !(q.dtype in QUANTIZED_BYTES)) return fail('has an unsupported quantization');
    for (const key of ['scale', 'min'] as const) if (q[key] !== undefined && !Number.isFinite(q[key])) fail(`has a non-finite quantization ${key}`);
    perElement = QUANTIZED_BYTES[q.dtype]!;
  }
  return { spec: s, bytes: size * perElement };
}

/**
 * Parses model.json text (already read within MODEL_LIMITS.modelJsonBytes) and checks that it
 * is a tfjs layers model with a well-formed manifest. `where` names the file in errors.
 */
export function checkModelJson(text: string, where: string): CheckedModelJson {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(text) as tf.io.ModelJSON;
  } catch (e) {
    throw new ModelFileError(`${where}: not valid JSON (${(e as Error).message.slice(0, 200)})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ModelFileError(`${where}: not a tfjs model (not a JSON object)`);
  const topology = json.modelTopology as { class_name?: unknown; model_config?: unknown } | undefined;
  if (!topology || typeof topology !== 'object') throw new ModelFileError(`${where}: not a tfjs layers model (no modelTopology)`);
  if (json.format !== undefined && json.format !== 'layers-model') throw new ModelFileError(`${where}: a tfjs ${typeof json.format === 'string' ? json.format.slice(0, 40) : `model of format ${String(JSON.stringify(json.format)).slice(0, 40)}`}, not a layers model`);
  const manifest = json.weightsManifest as unknown;
  if (!Array.isArray(manifest)) throw new ModelFileError(`${where}: no weightsManifest list`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const groups: WeightGroup[] = [];
  let bytes = 0;
  let files = 0;
  for (const group of manifest as tf.io.WeightsManifestConfig) {
    if (!group || typeof group !== 'object' || !Array.isArray(group.paths) || !Array.isArray(group.weights)) throw new ModelFileError(`${where}: a weightsManifest entry lacks 'paths' or 'weights'`);
    files += group.paths.length;
    if (files > MODEL_LIMITS.weightFiles || specs.length + group.weights.length > MODEL_LIMITS.weightEntries) throw new ModelFileError(`${where}: more weight files or entries than a model may have (${MODEL_LIMITS.weightFiles} / ${MODEL_LIMITS.weightEntries})`);
    const paths = group.paths.map((p: unknown) => checkWeightsPath(p, where));
    let groupBytes = 0;
    for (const entry of group.weights) {
      const checked = checkSpec(entry, where);
      specs.push(checked.spec);
      groupBytes += checked.bytes;
    }
    if (groupBytes > 0 && paths.length === 0) throw new ModelFileError(`${where}: weights are declared without a file`);
    bytes += groupBytes;
    if (bytes > MODEL_LIMITS.weightBytes) throw new ModelFileError(`${where}: the manifest declares more than ${MODEL_LIMITS.weightBytes / 2 ** 20} MiB of weights`);
    groups.push({ paths, bytes: groupBytes });
  }
  return { json, specs, groups, bytes };
}

/** Whether model.json declares SINet metadata (then it is rebuilt from it, not deserialised). */
export function hasSINetMetadata(json: tf.io.ModelJSON): boolean {
  const meta = json.userDefinedMetadata as Record<string, unknown> | undefined;
  return !!meta && typeof meta === 'object' && meta.sinet !== undefined;
}

/**
 * A SINet built from model.json's validated metadata, with the file's weights matched by name
 * (every weight of the network present, same shape; no extra ones).
 */
export function sinetFromFiles(checked: CheckedModelJson, weightData: ArrayBuffer, where: string): tf.LayersModel {
  const metadata = validateSINetMetadata((checked.json.userDefinedMetadata as Record<string, unknown> | undefined)?.sinet, where);
  const model = createSINet(metadata.config);
  let tensors: tf.NamedTensorMap = {};
  try {
    setSINetMetadata(model, metadata);
    tensors = tf.io.decodeWeights(weightData, checked.specs);
    const values = model.weights.map((w) => {
      const t = tensors[w.originalName];
      if (!t) throw new ModelFileError(`${where}: weights lack '${w.originalName}' (is it a SINet of the architecture its metadata declares?)`);
      if (t.shape.join('x') !== w.shape.join('x')) throw new ModelFileError(`${where}: weight '${w.originalName}' is ${t.shape.join('x')}, the network needs ${w.shape.join('x')}`);
      return t;
    });
    const known = new Set(model.weights.map((w) => w.originalName));
    const extra = Object.keys(tensors).find((name) => !known.has(name));
    if (extra) throw new ModelFileError(`${where}: weights hold '${extra.slice(0, 200)}', which this SINet does not have`);
    model.setWeights(values);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** A model's files as read and checked by a loader: model.json, and its weights concatenated. */
export interface ModelFiles {
  /** The model.json path or URL, for errors. */
  where: string;
  checked: CheckedModelJson;
  weights: ArrayBuffer;
}

/** What `model.save()` hands a save handler: topology, weight specs and data, metadata. */
export async function captureArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  // A holder object: TypeScript does not see the handler's assignment to a plain `let`.
  const saved: { artifacts?: tf.io.ModelArtifacts } = {};
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved.artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved.artifacts!;
}

/** The weights of saved artifacts as one byte array. */
export function artifactBytes(data: tf.io.WeightData | undefined): Uint8Array {
  return data == null ? new Uint8Array(0) : new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
}

/** model.json for saved artifacts whose weights (described by `specs`) lie in one file, `weightsPath`. */
export function modelJsonOf(a: tf.io.ModelArtifacts, weightsPath: string, specs: tf.io.WeightsManifestEntry[] = a.weightSpecs ?? []): tf.io.ModelJSON {
  return {
    format: 'layers-model',
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy ?? '@sinet/model',
    modelTopology: a.modelTopology!,
    weightsManifest: [{ paths: [weightsPath], weights: specs }],
    userDefinedMetadata: a.userDefinedMetadata,
  };
}

/**
 * A model in memory as the checked files a loader reads (model.json and its weights), e.g. a
 * fine-tuned model to hand to a worker (plain data: it survives postMessage) or to `buildModel`.
 */
export async function modelFilesOf(model: tf.LayersModel, where = 'in-memory model'): Promise<ModelFiles> {
  const a = await captureArtifacts(model);
  const bytes = artifactBytes(a.weightData);
  const checked = checkModelJson(JSON.stringify(modelJsonOf(a, 'weights.bin')), where);
  return { where, checked, weights: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer };
}

/**
 * The model that checked files describe: a SINet rebuilt from its metadata, or (no SINet
 * metadata, and `requireSINet` false) any tfjs layers model, deserialised by tfjs.
 */
export async function buildModel(files: ModelFiles, options: { requireSINet?: boolean } = {}): Promise<tf.LayersModel> {
  const { checked, weights, where } = files;
  if (weights.byteLength !== checked.bytes) throw new ModelFileError(`${where}: weights hold ${weights.byteLength} bytes, the manifest needs ${checked.bytes} (truncated or mismatched files)`);
  if (hasSINetMetadata(checked.json)) return sinetFromFiles(checked, weights, where);
  if (options.requireSINet) throw new ModelFileError(`${where}: not a SINet model (model.json has no userDefinedMetadata.sinet; convert or train one with sinet)`);
  // Not a SINet: tfjs deserialises the topology (load such models only from sources you trust).
  const artifacts = await tf.io.getModelArtifactsForJSON(checked.json, async () => [checked.specs, weights]);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

/** Reads a response body, refusing more than `limit` bytes (whatever Content-Length claims). */
async function readCapped(response: Response, limit: number, what: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new ModelFileError(`${what}: ${declared} bytes, more than the ${limit} bytes allowed`);
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength > limit) throw new ModelFileError(`${what}: more than the ${limit} bytes allowed`);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new ModelFileError(`${what}: more than the ${limit} bytes allowed`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export interface UrlModelOptions {
  /** fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Allow weights on another origin than model.json's (default false). */
  allowCrossOriginWeights?: boolean;
  /** Accept a tfjs layers model without SINet metadata (default false). */
  allowNonSINet?: boolean;
  /**
   * Where each weights path of the manifest is, when a bundler placed the files apart (e.g.
   * `new URL('./weights.bin', import.meta.url)` beside `new URL('./model.json', import.meta.url)`).
   * These URLs come from the caller's code, not from the file, so they are fetched as given.
   */
  weightsUrls?: Record<string, string | URL>;
}

/**
 * Where a model's files are: a model.json URL and, where a bundler moved them, its weights. Every
 * shipped model is one (`import model from '@sinet/pretrained/realtime'`).
 */
export interface ModelLocation {
  modelUrl: string | URL;
  /** See UrlModelOptions.weightsUrls. */
  weightsUrls?: Record<string, string | URL>;
}

/** Whether `value` is a ModelLocation (an object with a modelUrl), not a model, handler or string. */
export function isModelLocation(value: unknown): value is ModelLocation {
  return typeof value === 'object' && value !== null && 'modelUrl' in value && (typeof value.modelUrl === 'string' || value.modelUrl instanceof URL);
}

/**
 * Fetches a model.json URL and its weights: model.json within its size limit, weights fetched
 * only from its own folder (and origin, unless allowed), within the bytes the manifest declares.
 */
export async function fetchModelFiles(url: string | URL, options: UrlModelOptions = {}): Promise<ModelFiles> {
  const get = options.fetch ?? fetch;
  const base = typeof location === 'object' && location?.href ? location.href : undefined;
  let modelUrl: URL;
  try {
    modelUrl = new URL(String(url), base);
  } catch {
    throw new ModelFileError(`${String(url).slice(0, 200)}: not a valid URL`);
  }
  const where = modelUrl.href;
  const response = await get(modelUrl.href);
  if (!response.ok) throw new ModelFileError(`${where}: HTTP ${response.status}`);
  const text = new TextDecoder().decode(await readCapped(response, MODEL_LIMITS.modelJsonBytes, where));
  const checked = checkModelJson(text, where);
  const folder = new URL('.', modelUrl);
  const buffers: Uint8Array[] = [];
  let remaining = checked.bytes;
  for (const group of checked.groups) {
    for (const p of group.paths) {
      const given = options.weightsUrls && Object.hasOwn(options.weightsUrls, p) ? options.weightsUrls[p] : undefined;
      if (options.weightsUrls && given === undefined) throw new ModelFileError(`${where}: weights path '${p}' is not among the weights URLs given`);
      const weightsUrl = new URL(String(given ?? p), given ? base : folder);
      const inside = weightsUrl.origin === folder.origin && weightsUrl.pathname.startsWith(folder.pathname);
      if (!given && !inside && !(options.allowCrossOriginWeights && weightsUrl.pathname.startsWith(folder.pathname))) throw new ModelFileError(`${where}: weights path '${p}' leaves the model's folder`);
      const r = await get(weightsUrl.href);
      if (!r.ok) throw new ModelFileError(`${where}: weights file '${p}': HTTP ${r.status}`);
      const bytes = await readCapped(r, remaining, `${where}: weights file '${p}' (the manifest needs ${checked.bytes} bytes in all)`);
      remaining -= bytes.byteLength;
      buffers.push(bytes);
    }
  }
  const weights = new Uint8Array(checked.bytes - remaining);
  let at = 0;
  for (const b of buffers) {
    weights.set(b, at);
    at += b.byteLength;
  }
  return { where, checked, weights: weights.buffer };
}

/** fetchModelFiles, then buildModel (a SINet unless `allowNonSINet`). */
export async function loadModelFromUrl(url: string | URL, options: UrlModelOptions = {}): Promise<tf.LayersModel> {
  return buildModel(await fetchModelFiles(url, options), { requireSINet: !options.allowNonSINet });
}

/**
 * Reads picked or dropped files (a model.json and its weights files, matched by file name),
 * under the same checks as a folder or URL.
 */
export async function readPickedModelFiles(files: ArrayLike<File>): Promise<ModelFiles> {
  const list = Array.from(files);
  const jsons = list.filter((f) => f.name.endsWith('.json'));
  if (jsons.length !== 1) throw new ModelFileError(`pick one model.json and its .bin weight files (got ${jsons.length} .json files among ${list.map((f) => f.name).join(', ') || 'none'})`);
  const jsonFile = jsons[0]!;
  if (jsonFile.size > MODEL_LIMITS.modelJsonBytes) throw new ModelFileError(`${jsonFile.name}: ${jsonFile.size} bytes, more than the ${MODEL_LIMITS.modelJsonBytes} bytes allowed`);
  const checked = checkModelJson(await jsonFile.text(), jsonFile.name);
  const byName = new Map(list.map((f) => [f.name, f]));
  const buffers: ArrayBuffer[] = [];
  let total = 0;
  for (const group of checked.groups) {
    for (const p of group.paths) {
      const name = p.split('/').at(-1)!;
      const file = byName.get(name);
      if (!file) throw new ModelFileError(`${jsonFile.name}: weights file '${name}' was not picked with it`);
      total += file.size;
      if (total > checked.bytes) throw new ModelFileError(`${jsonFile.name}: weights files hold more than the ${checked.bytes} bytes the manifest needs`);
      buffers.push(await file.arrayBuffer());
    }
  }
  return { where: jsonFile.name, checked, weights: tf.io.concatenateArrayBuffers(buffers) };
}

/** readPickedModelFiles, then buildModel (a SINet unless `allowNonSINet`). */
export async function loadModelFromFiles(files: ArrayLike<File>, options: { allowNonSINet?: boolean } = {}): Promise<tf.LayersModel> {
  return buildModel(await readPickedModelFiles(files), { requireSINet: !options.allowNonSINet });
}
