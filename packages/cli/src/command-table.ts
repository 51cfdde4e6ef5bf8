/**
 * Every `sinet` command as data: its arguments, its options and what runs it. The usage text,
 * node:util's parseArgs options, the per-command option check, required options and positional
 * counts all derive from this table, so they cannot drift apart.
 */
import { BACKEND_CHOICES } from '@sinet/model/node';
import { DEFAULT_PRETRAINED, PRETRAINED_MODELS } from '@sinet/pretrained';
import { CliError, EXIT_SOFTWARE, UsageError } from './errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Placeholder in the usage line, e.g. '<dir>' or 'HxW'. */
  value?: string;
  /** Shown as [--name value]; a required option is shown without brackets and checked. */
  required?: boolean;
  short?: string;
}

export interface CommandSpec<Run> {
  /** Positional arguments in the usage line, e.g. '<images...>'. */
  args?: string;
  /** How many positionals it takes, and the message when the count is wrong. */
  positionals?: { min: number; max: number; message: string };
  options: Record<string, OptionSpec>;
  /** Extra usage text after the options (alternatives, groups). */
  note?: string;
  /** Checks option values that need no backend (throws UsageError), before one starts. */
  check?: (values: Record<string, unknown>) => void;
  run: Run;
}

/** Options every command takes. */
export const COMMON_OPTIONS = {
  backend: { type: 'string', value: BACKEND_CHOICES.join('|') },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} satisfies Record<string, OptionSpec>;

/** parseArgs' options: the union of every command's, booleans defaulting to false. */
export function parseArgsOptions(commands: Record<string, CommandSpec<unknown>>): Record<string, { type: 'string' | 'boolean'; short?: string; default?: boolean }> {
  const all: Record<string, { type: 'string' | 'boolean'; short?: string; default?: boolean }> = {};
  for (const spec of [COMMON_OPTIONS, ...Object.values(commands).map((c) => c.options)]) {
    for (const [name, o] of Object.entries(spec)) {
      const prior = all[name];
      if (prior && prior.type !== o.type) throw new CliError(`internal: option --${name} is both ${prior.type} and ${o.type}`, EXIT_SOFTWARE);
      all[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.type === 'boolean' ? { default: false } : {}) };
    }
  }
  return all;
}

const MODEL_NAMES = Object.keys(PRETRAINED_MODELS).join(', ');
const DEFAULT_MODEL = DEFAULT_PRETRAINED;

/** One usage line per command, wrapped at ~110 columns. */
export function usage(commands: Record<string, CommandSpec<unknown>>): string {
  const lines = Object.entries(commands).map(([name, c]) => {
    const head = `  sinet ${name}${c.args ? ` ${c.args}` : ''}`;
    const options = Object.entries(c.options).map(([option, o]) => {
      const text = `--${option}${o.value ? ` ${o.value}` : ''}`;
      return o.required ? text : `[${text}]`;
    });
    const words = [...options, ...(c.note ? [c.note] : [])];
    const out: string[] = [];
    let line = head;
    for (const word of words) {
      if (line.length + word.length + 1 > 110) {
        out.push(line);
        line = ' '.repeat(head.length);
      }
      line += ` ${word}`;
    }
    out.push(line);
    return out.join('\n');
  });
  return `sinet: SINet portrait segmentation for TensorFlow.js

usage:
${lines.join('\n')}

--model takes a model folder, a model.json path or URL, or a shipped model's name (${MODEL_NAMES});
without it, segment and eval use ${DEFAULT_MODEL}, the shipped model with the best cross-domain person IoU (EG1800 val and held-out CCP, Penn-Fudan, COCO128).
every command takes --backend ${COMMON_OPTIONS.backend.value} (default: $SINET_BACKEND or auto:
tfjs-node where it loads, else wasm, else cpu)`;
}

/** Checks the parsed arguments against the command's row: known options, required ones, positional count. */
export function checkCommand(name: string, spec: CommandSpec<unknown>, values: Record<string, unknown>, positionals: string[]): void {
  for (const [key, value] of Object.entries(values)) {
    if (value === false || value === undefined || key in COMMON_OPTIONS) continue;
    if (!(key in spec.options)) throw new UsageError(`${name} does not take --${key}`);
  }
  for (const [key, o] of Object.entries(spec.options)) if (o.required && (values[key] === undefined || values[key] === '')) throw new UsageError(`${name} needs --${key}`);
  const { min, max, message } = spec.positionals ?? { min: 0, max: 0, message: `${name} takes no positional arguments, got ${positionals.join(' ')}` };
  if (positionals.length < min || positionals.length > max) throw new UsageError(message);
  spec.check?.(values);
}
