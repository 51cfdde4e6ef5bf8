/** `sinet export`: a model as an ONNX file, and optionally a Triton model repository around it. */
import { getSINetMetadata, rebuildWithInputSize, setSINetMetadata } from '@sinet/model';
import { loadModel, writeFileAtomic } from '@sinet/model/node';
import { exportOnnx, tritonModelConfig } from '@sinet/model/onnx';
import { DEFAULT_PRETRAINED } from '@sinet/pretrained';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Io } from './commands.js';
import { CliError, UsageError } from './errors.js';

export interface ExportOptions {
  model?: string;
  format?: string;
  out?: string;
  /** A Triton model repository: <dir>/<name>/config.pbtxt and <dir>/<name>/1/model.onnx. */
  triton?: string;
  tritonName?: string;
  softmax: boolean;
  fixedSize: boolean;
  inputSize?: [number, number];
  overwrite: boolean;
}

/** The files an export writes, checked before the model is even loaded. */
function targets(options: ExportOptions): { onnx: string[]; config: string | null } {
  const onnx = options.out ? [options.out] : [];
  let config: string | null = null;
  if (options.triton) {
    const folder = path.join(options.triton, options.tritonName ?? 'sinet');
    onnx.push(path.join(folder, '1', 'model.onnx'));
    config = path.join(folder, 'config.pbtxt');
  }
  return { onnx, config };
}

/** The usage rules of `sinet export` (parsed option values), checked before a backend starts. */
export function checkExportOptions(values: Record<string, unknown>): void {
  const format = (values.format as string | undefined) ?? 'onnx';
  if (format !== 'onnx') throw new UsageError(`--format must be onnx (the only export format), got '${format}'`);
  if (!values.out && !values.triton) throw new UsageError('export needs --out <file.onnx> or --triton <dir> (or both)');
  const name = values['triton-name'] as string | undefined;
  if (name !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) throw new UsageError(`--triton-name must be a plain folder name, got '${name}'`);
}

export async function exportCommand(io: Io, options: ExportOptions): Promise<void> {
  checkExportOptions({ format: options.format, out: options.out, triton: options.triton, 'triton-name': options.tritonName });
  const files = targets(options);
  for (const file of [...files.onnx, ...(files.config ? [files.config] : [])]) {
    const stat = await fs.stat(file).catch(() => null);
    if (stat?.isDirectory()) throw new CliError(`${file}: is a folder, not a file`);
    if (stat && !options.overwrite) throw new CliError(`${file} exists already: pass --overwrite to replace it, or choose another path`);
  }
  const source = options.model ?? DEFAULT_PRETRAINED;
  let model = await loadModel(source, { requireSINet: true });
  try {
    const metadata = getSINetMetadata(model, source);
    const size = options.inputSize;
    if (size && (size[0] !== metadata.config.inputSize[0] || size[1] !== metadata.config.inputSize[1])) {
      const resized = rebuildWithInputSize(model, metadata.config, size);
      setSINetMetadata(resized, { ...metadata, config: { ...metadata.config, inputSize: size } });
      model.dispose();
      model = resized;
    }
    const exported = exportOnnx(model, { softmax: options.softmax, fixedSize: options.fixedSize });
    for (const file of files.onnx) await writeFileAtomic(file, exported.bytes);
    const [h, w] = getSINetMetadata(model).config.inputSize;
    if (files.config) {
      const classes = getSINetMetadata(model).config.classes;
      await writeFileAtomic(files.config, tritonModelConfig(exported, { name: options.tritonName ?? 'sinet', classes, size: options.fixedSize ? [h, w] : null }));
    }
    const sizeText = options.fixedSize ? `${h} x ${w}` : `height x width any multiple of 32 (made at ${h} x ${w})`;
    io.out(`exported ${source} to ONNX (opset 17, ${(exported.bytes.length / 1024).toFixed(1)} KiB): input '${exported.inputName}' [batch, 3, ${options.fixedSize ? `${h}, ${w}` : 'height, width'}], output '${exported.outputName}', ${sizeText}`);
    for (const file of files.onnx) io.out(`wrote ${file}`);
    if (files.config) io.out(`wrote ${files.config} (Triton, onnxruntime backend; untested here)`);
  } finally {
    model.dispose();
  }
}
