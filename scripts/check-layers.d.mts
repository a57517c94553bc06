export const LAYERS: string[][];
export function folderOf(path: string): string | undefined;
export function importsOf(srcDir: string): { from: string; to: string }[];
export function checkLayers(srcDir: string): string[];
