// Lists the publishable workspace packages (packages/* that are not private).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

export function publishablePackages() {
  const dir = join(root, 'packages');
  return readdirSync(dir)
    .map((name) => {
      const path = join(dir, name);
      try {
        const pkg = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'));
        return pkg.private ? undefined : { name: pkg.name, version: pkg.version, path, pkg };
      } catch {
        return undefined;
      }
    })
    .filter(Boolean)
    .sort((a, b) => a.name.localeCompare(b.name));
}
