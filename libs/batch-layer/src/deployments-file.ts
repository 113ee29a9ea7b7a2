import { readFile } from 'node:fs/promises';
import { type Deployment, InvalidDeploymentError, parseDeployments } from '@platform/batch-domain';

/** The deployments an operator configured (DEPLOYMENTS_FILE); a missing or broken file names itself. */
export async function readDeploymentsFile(path: string): Promise<Deployment[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidDeploymentError(`cannot read the deployments file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidDeploymentError(`the deployments file ${path} is not JSON: ${(error as Error).message}`);
  }
  return parseDeployments(json, path);
}
