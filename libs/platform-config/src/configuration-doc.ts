import { z } from 'zod';
import { environmentSchema } from './platform-config';

/** Every environment variable the platform reads, in the schema's order. */
export const PLATFORM_CONFIG_KEYS = Object.keys(environmentSchema.shape) as readonly (keyof typeof environmentSchema.shape)[];

export interface ConfigKeyDoc {
  readonly name: string;
  /** The default as the process sees it (paths relative to the working directory shown as `./…`); undefined when there is none. */
  readonly defaultValue: string | undefined;
  readonly unit: string;
  readonly description: string;
}

// Units follow the naming rule of the settings (a unit in the name); the rest are plain values.
const UNITS: readonly (readonly [RegExp, string])[] = [
  [/_MS$/, 'milliseconds'],
  [/_DAYS$/, 'days'],
  [/_BYTES$/, 'bytes'],
  [/_PER_SECOND$/, 'per second'],
  [/_PORT$/, 'TCP port'],
  [/_ROWS$|_COUNT$|_BURST$/, 'count'],
  [/_RATE$/, 'share (0-1)'],
];

function unitOf(name: string): string {
  return UNITS.find(([pattern]) => pattern.test(name))?.[1] ?? '';
}

// The path defaults were resolved against the working directory when the schema module loaded.
function defaultOf(schema: z.ZodType, workingDir: string): string | undefined {
  if (!(schema instanceof z.ZodDefault)) return undefined;
  const value: unknown = schema.def.defaultValue;
  const text = String(value);
  return text.startsWith(`${workingDir}/`) ? `./${text.slice(workingDir.length + 1)}` : text;
}

export function configurationKeys(): readonly ConfigKeyDoc[] {
  const workingDir = process.cwd();
  return Object.entries(environmentSchema.shape).map(([name, schema]) => ({
    name,
    defaultValue: defaultOf(schema, workingDir),
    unit: unitOf(name),
    description: schema.description ?? '',
  }));
}

const cell = (text: string) => text.replaceAll('|', '\\|');

/** docs/configuration.md, generated from the schema's descriptions: `npm run docs:config` writes it, a unit test fails when it is stale. */
export function renderConfigurationDoc(): string {
  const rows = configurationKeys().map(
    ({ name, defaultValue, unit, description }) => `| \`${name}\` | ${defaultValue === undefined ? '(unset)' : `\`${cell(defaultValue)}\``} | ${unit} | ${cell(description)} |`,
  );
  return [
    '# Configuration',
    '',
    '<!-- Generated from libs/platform-config/src/platform-config.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'Every process of the platform (`npm start`, the batch, speed and query layer services, the CLIs) reads',
    'these environment variables once at start and validates them; a bad value stops the process with a',
    'message naming the variable. An empty variable counts as unset. Paths default to the working directory.',
    '',
    '| variable | default | unit | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
