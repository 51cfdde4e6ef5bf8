import os from 'node:os';

/** This machine in one line (CPU model, cores, memory, Node, platform): what benchmarks print and training runs record. */
export function machineLine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  return `${model}, ${cpus.length} core${cpus.length === 1 ? '' : 's'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()}-${os.arch()}`;
}
