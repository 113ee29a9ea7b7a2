import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidInputError } from '@platform/domain';
import { MANIFEST_FILE } from '@platform/model-store';
import { modelArtifactsWriter } from '@platform/tfjs-runtime';
import { type ChurnTrainingOptions, type ChurnTrainingReport, trainChurnModel, type TrainedChurnModel } from './churn-training';

export const TRAINING_REPORT_FILE = 'training-report.json';

export class ModelPackageExistsError extends InvalidInputError {
  override readonly code = 'MODEL_PACKAGE_EXISTS';
}

/** Versions are immutable: a package is written into a new or empty directory, never over another. */
async function assertEmptyDirectory(dir: string): Promise<void> {
  const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  if (entries.length > 0) {
    throw new ModelPackageExistsError(`model package directory ${dir} is not empty (${entries.length} entries): choose a new directory`);
  }
}

/**
 * Writes a model package: manifest.json, the TF.js LayersModel (model.json plus one weights
 * file, through our own writer so either backend can save), and training-report.json.
 */
export async function writeChurnModelPackage(packageDir: string, trained: TrainedChurnModel): Promise<void> {
  const dir = resolve(packageDir);
  await assertEmptyDirectory(dir);
  await mkdir(dir, { recursive: true });
  await trained.model.save(modelArtifactsWriter(dir, trained.manifest.modelFile));
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(trained.manifest, null, 2)}\n`);
  await writeFile(join(dir, TRAINING_REPORT_FILE), `${JSON.stringify(trained.report, null, 2)}\n`);
}

/** Trains the demo churn model, writes its package into `packageDir` and returns the training report. */
export async function buildChurnModelPackage(packageDir: string, options: ChurnTrainingOptions): Promise<ChurnTrainingReport> {
  await assertEmptyDirectory(resolve(packageDir));
  const trained = await trainChurnModel(options);
  try {
    await writeChurnModelPackage(packageDir, trained);
  } finally {
    trained.model.dispose();
  }
  return trained.report;
}
