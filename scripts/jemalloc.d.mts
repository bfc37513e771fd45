export const JEMALLOC: string;
export function jemallocEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv | null;
