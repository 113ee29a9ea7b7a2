import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { io } from '@tensorflow/tfjs';
import { InvalidInputError } from '@platform/domain';

export class ModelFileError extends InvalidInputError {
  override readonly code = 'MODEL_FILE';
}

interface ModelJson {
  modelTopology?: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest?: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
  signature?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: unknown;
}

/**
 * Reads a TF.js model (model.json plus its weight shards) from disk into model artifacts. Our own
 * reader rather than tfjs-node's file:// handler, so the pure-JS fallback loads the same packages.
 * Shard paths must stay inside the package directory.
 */
export async function readModelArtifacts(modelJsonPath: string): Promise<io.ModelArtifacts> {
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as ModelJson;
  } catch (error) {
    throw new ModelFileError(`cannot read model file ${modelJsonPath}: ${(error as Error).message}`, { cause: error });
  }
  if (json.modelTopology === undefined || json.weightsManifest === undefined) {
    throw new ModelFileError(`${modelJsonPath} is not a TF.js model.json (no modelTopology or weightsManifest)`);
  }
  const root = dirname(resolve(modelJsonPath));
  const weightSpecs: io.WeightsManifestEntry[] = [];
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const path of group.paths) {
      const shardPath = resolve(root, path);
      if (!shardPath.startsWith(root + sep)) {
        throw new ModelFileError(`weight shard ${path} of ${modelJsonPath} points outside the package`);
      }
      shards.push(await readFile(shardPath).catch((error: unknown) => {
        throw new ModelFileError(`cannot read weight shard ${join(root, path)}: ${(error as Error).message}`, { cause: error });
      }));
    }
  }
  const weights = Buffer.concat(shards);
  return {
    modelTopology: json.modelTopology as object,
    ...(json.format === undefined ? {} : { format: json.format }),
    ...(json.generatedBy === undefined ? {} : { generatedBy: json.generatedBy }),
    ...(json.convertedBy === undefined || json.convertedBy === null ? {} : { convertedBy: json.convertedBy }),
    ...(json.signature === undefined ? {} : { signature: json.signature as object }),
    ...(json.userDefinedMetadata === undefined ? {} : { userDefinedMetadata: json.userDefinedMetadata as Record<string, object> }),
    ...(json.modelInitializer === undefined ? {} : { modelInitializer: json.modelInitializer as object }),
    weightSpecs,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
  };
}

export const WEIGHTS_FILE = 'weights.bin';

/**
 * Writes model artifacts as model.json plus one weights file: the inverse of readModelArtifacts,
 * used as a tfjs save handler (`model.save(modelArtifactsWriter(dir))`) on either backend.
 */
export function modelArtifactsWriter(packageDir: string, modelFile = 'model.json'): Required<Pick<io.IOHandler, 'save'>> {
  return {
    save: async (artifacts: io.ModelArtifacts): Promise<io.SaveResult> => {
      const weights = artifacts.weightData === undefined ? new Uint8Array(0) : new Uint8Array(artifacts.weightData as ArrayBuffer);
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
      };
      await mkdir(packageDir, { recursive: true });
      await writeFile(join(packageDir, modelFile), JSON.stringify(modelJson));
      await writeFile(join(packageDir, WEIGHTS_FILE), weights);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    },
  };
}
