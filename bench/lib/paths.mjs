// Where the build output lives, relative to this folder (bench/ imports dist/, no TypeScript step).
export const ROOT = new URL('../../', import.meta.url);
export const dist = (path) => new URL(`dist/${path}`, ROOT).href;
