/**
 * An npm devDependency that some tests need (onnxruntime-node, onnxruntime-web), loaded if present.
 * Without it those tests skip with the reason, except under CI, where `npm ci` installs it and its
 * absence is a set-up failure. (scripts/gpu-check.sh's bundle leaves the ONNX runtimes out.)
 */
export async function optionalModule<T>(name: string): Promise<{ mod: T | undefined; skip: string | false }> {
  try {
    return { mod: (await import(name)) as T, skip: false };
  } catch (e) {
    if (process.env.CI) throw e;
    return { mod: undefined, skip: `${name} is not installed (a devDependency: npm ci installs it)` };
  }
}
