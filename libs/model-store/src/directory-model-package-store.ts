import { createHash, randomUUID } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { type ModelPackageStore, type StoredPackage } from '@platform/model-package';
import { ModelPackageError, readModelManifestFile } from './model-manifest-file';

async function filesUnder(root: string, dir: string = root): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return filesUnder(root, path);
      if (entry.isFile()) return [relative(root, path)];
      throw new ModelPackageError(`${path} is neither a file nor a directory; packages hold plain files only`);
    }),
  );
  return nested.flat().sort();
}

/**
 * SHA-256 over every file of the package (relative path, size and bytes, in path order): equal
 * hashes mean equal packages, whatever directory they sit in.
 */
export async function packageContentHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await filesUnder(dir)) {
    const bytes = await readFile(join(dir, file));
    hash.update(`${file}\u0000${bytes.length}\u0000`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

/**
 * Model packages in a directory, one folder per version: `<root>/<model>/<version>/`. A version is
 * written once, through a temporary folder renamed into place, so a reader never sees half a package.
 */
export class DirectoryModelPackageStore implements ModelPackageStore {
  constructor(private readonly root: string) {}

  async inspect(sourceDir: string): Promise<StoredPackage> {
    const dir = resolve(sourceDir);
    const manifest = await readModelManifestFile(dir);
    return { manifest, contentHash: await packageContentHash(dir), packageDir: dir };
  }

  async get(model: string, version: string): Promise<StoredPackage | undefined> {
    const dir = this.versionDir(model, version);
    const exists = await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    return exists ? this.inspect(dir) : undefined;
  }

  async put(sourceDir: string): Promise<StoredPackage> {
    const incoming = await this.inspect(sourceDir);
    const { name, version } = incoming.manifest;
    const existing = await this.get(name, version);
    if (existing !== undefined) {
      if (existing.contentHash !== incoming.contentHash) {
        throw new ModelPackageError(`${this.versionDir(name, version)} already holds different bytes for ${name}@${version}`);
      }
      return existing;
    }
    const target = this.versionDir(name, version);
    const staging = join(this.root, name, `.staging-${randomUUID()}`);
    await mkdir(staging, { recursive: true });
    try {
      await cp(incoming.packageDir, staging, { recursive: true });
      await rename(staging, target);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    return this.inspect(target);
  }

  private versionDir(model: string, version: string): string {
    // Manifest validation restricts names and versions to path-safe characters.
    return join(this.root, model, version);
  }
}
