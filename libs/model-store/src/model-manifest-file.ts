import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '@platform/domain';
import { type ModelManifest, parseModelManifest } from '@platform/model-package';

export const MANIFEST_FILE = 'manifest.json';

export class ModelPackageError extends InvalidInputError {
  override readonly code = 'MODEL_PACKAGE';
}

/** Reads and validates `<packageDir>/manifest.json`; errors name the file. */
export async function readModelManifestFile(packageDir: string): Promise<ModelManifest> {
  const manifestPath = join(packageDir, MANIFEST_FILE);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (error) {
    throw new ModelPackageError(`cannot read ${manifestPath}: ${(error as Error).message}`, { cause: error });
  }
  return parseModelManifest(json, manifestPath);
}
