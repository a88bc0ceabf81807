import { join } from 'node:path';

/** Where the React page's source is (web/react/main.jsx), from src/ or dist/apps/embed-example/src. */
export function reactEntry(webDir: string): string {
  return join(webDir, 'react', 'main.jsx');
}

/**
 * Bundles the React page (JSX, React and ReactDOM) into one ES module, as a host's own front-end
 * build would. esbuild is a dev dependency: the example runs from a clone of the repository.
 */
export async function buildReactBundle(webDir: string, outfile: string): Promise<string> {
  // Loaded here so that importing the example's modules does not need esbuild.
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [reactEntry(webDir)],
    bundle: true,
    format: 'esm',
    jsx: 'automatic',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}
