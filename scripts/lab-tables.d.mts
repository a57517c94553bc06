export function sections(md: string): { summary: string; full: string } | null;
export function replaceBlocks(text: string, blocks: Record<string, string>, file: string): string;
export function worldsBlocks(md: string): { "worlds-summary": string; worlds: string } | null;
export function fittedFile(runDir: string): string;
